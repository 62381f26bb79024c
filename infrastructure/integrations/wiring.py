"""Wires the integrations into a running gdprkit, configured from GDPRKIT_*
environment keys."""

from __future__ import annotations

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from application.access_requests import AccessRequestServices
from application.archive_pushes import run_pushes
from application.context import Context
from application.external_sources import RegisteredSources
from application.integration_ports import SourceClient, TicketingTarget
from application.integrations import IntegrationServices
from domain.integrations import PushStatus
from infrastructure.integrations.servicenow import ServiceNowClient
from infrastructure.integrations.sources import HttpSourceClient
from infrastructure.integrations.views import SqlIntegrationViews, SqlReplayGuard
from infrastructure.views import SqlReadModels
from infrastructure.webhooks import all_webhooks

log = structlog.get_logger(__name__)

EXTRAS_KEY = "integrations"


class IntegrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GDPRKIT_", extra="ignore")

    webhook_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    webhook_email_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    webhook_freshness_seconds: int = Field(default=300, ge=10, le=3600)
    # Plain http:// to 127.0.0.1 / localhost only, for fakes in tests and demos.
    integrations_allow_loopback_http: bool = False
    servicenow_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    servicenow_max_tries: int = Field(default=4, ge=1, le=10)
    servicenow_backoff_seconds: float = Field(default=1.0, ge=0)
    push_retry_seconds: float = Field(default=60.0, ge=0)


def install_views(views: SqlReadModels, engine: Engine) -> SqlIntegrationViews:
    """Registers the projections; call before the first catch-up."""
    model = SqlIntegrationViews(engine, views)
    model.install()
    return model


def install(
    context: Context,
    model: SqlIntegrationViews,
    engine: Engine,
    access: AccessRequestServices | None,
    config: IntegrationSettings | None = None,
    *,
    ticketing: TicketingTarget | None = None,
    sources: SourceClient | None = None,
) -> IntegrationServices:
    """Builds the services and adds the registered sources to gathering."""
    config = config or IntegrationSettings()
    services = IntegrationServices(
        views=model,
        webhooks=all_webhooks(config.webhook_freshness_seconds),
        replay=SqlReplayGuard(engine),
        ticketing=ticketing
        or ServiceNowClient(
            timeout_seconds=config.servicenow_timeout_seconds,
            max_tries=config.servicenow_max_tries,
            backoff_seconds=config.servicenow_backoff_seconds,
        ),
        sources=sources or HttpSourceClient(),
        access=access,
        webhook_max_bytes=config.webhook_max_bytes,
        email_max_bytes=config.webhook_email_max_bytes,
        allow_plain_http_loopback=config.integrations_allow_loopback_http,
        push_backoff_seconds=config.push_retry_seconds,
    )
    if access is not None:
        access.external_sources.append(RegisteredSources(context, services))
    return services


def start_push_sender(
    ctx: Context, svc: IntegrationServices, interval_seconds: float = 60.0
) -> BackgroundScheduler:
    """For `gdprkit serve`: sends queued archive pushes, and failed ones whose
    next attempt is due, once a minute. Each attempt is an event; nothing is
    dropped when the target is down."""

    def send() -> None:
        try:
            ctx.views.catch_up()
            outcomes = run_pushes(ctx, svc)
        except Exception:
            log.exception("integrations.push_run_failed")
            return
        if outcomes:
            log.info(
                "integrations.pushes_run",
                pushed=sum(o.status == PushStatus.PUSHED.value for o in outcomes),
                failed=sum(o.status != PushStatus.PUSHED.value for o in outcomes),
            )

    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        send, "interval", seconds=interval_seconds, max_instances=1, coalesce=True
    )
    scheduler.start()
    return scheduler
