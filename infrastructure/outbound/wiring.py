"""Wires issue 10 into a running gdprkit: the projections, the e-mail sender
shared with access requests (GDPRKIT_SMTP_*), the push gateway (GDPRKIT_PUSH_*)
and the HTML sanitiser; and a background job that sends the outbox."""

from __future__ import annotations

from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from application import notifications
from application.access_requests import AccessRequestServices
from application.context import Context
from application.outbound_ports import OutboundServices, PushSender
from infrastructure.outbound.html import AmmoniaHtmlSanitiser
from infrastructure.outbound.push import HttpPushGateway, UnconfiguredPushSender
from infrastructure.outbound.views import SqlOutboundViews
from infrastructure.settings import Settings
from infrastructure.views import SqlReadModels

log = structlog.get_logger(__name__)

EXTRAS_KEY = "outbound"


class OutboundSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GDPRKIT_", extra="ignore")

    push_url: str = ""
    push_token: str = Field(default="", repr=False)
    notification_interval_seconds: int = Field(default=30, ge=5, le=3600)


def install_views(views: SqlReadModels, engine: Engine) -> SqlOutboundViews:
    """Registers the projections; call before the first catch-up."""
    outbound_views = SqlOutboundViews(engine, views)
    outbound_views.install()
    return outbound_views


def install(
    outbound_views: SqlOutboundViews,
    settings: Settings,
    access_requests: AccessRequestServices,
    config: OutboundSettings | None = None,
) -> OutboundServices:
    config = config or OutboundSettings()
    push: PushSender = (
        HttpPushGateway(config.push_url, config.push_token)
        if config.push_url
        else UnconfiguredPushSender()
    )
    return OutboundServices(
        views=outbound_views,
        email=access_requests.email,
        push=push,
        sanitiser=AmmoniaHtmlSanitiser(),
        public_url=settings.public_url,
    )


def start_outbox_sender(
    ctx: Context, svc: OutboundServices, config: OutboundSettings | None = None
) -> BackgroundScheduler:
    """For `gdprkit serve`: sends due notifications every few seconds."""
    config = config or OutboundSettings()

    def send() -> None:
        try:
            ctx.views.catch_up()
            report = notifications.dispatch_due(ctx, svc)
        except Exception:
            log.exception("notifications.dispatch_failed")
            return
        if report.queued or report.delivered or report.failed:
            log.info(
                "notifications.dispatched",
                queued=report.queued,
                delivered=report.delivered,
                failed=report.failed,
            )

    scheduler = BackgroundScheduler(daemon=True)
    options: dict[str, Any] = {"max_instances": 1, "coalesce": True}
    scheduler.add_job(
        send, "interval", seconds=config.notification_interval_seconds, **options
    )
    scheduler.start()
    return scheduler
