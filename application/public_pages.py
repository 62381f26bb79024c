"""What the public form and FAQ pages may load and keep (issue 10.3, 10.4).

A workspace may configure third-party trackers; with `block_trackers` (the
default) none is rendered and the Content-Security-Policy forbids scripts, and
images and beacons from any other host. A form stores its field values in a
cookie only when listed in `form_value_cookies`; then only fields that are
neither sensitive nor hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.context import Context
from application.forms import require_form
from application.workspaces import require_workspace
from domain.model import Workspace
from domain.outbound_privacy import PrivacySetting, TrackerKind, setting_of

_NOTHING_FOREIGN = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Tracker:
    kind: str
    script_url: str | None
    pixel_url: str | None
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class PagePolicy:
    organisation: str
    trackers: tuple[Tracker, ...]  # empty whenever trackers are blocked
    content_security_policy: str


@dataclass(frozen=True)
class FormPage:
    workspace_id: UUID
    form_id: UUID
    name: str
    fields: tuple[dict[str, Any], ...]
    stores_values_in_cookies: bool
    policy: PagePolicy


@dataclass(frozen=True)
class FaqPage:
    workspace_id: UUID
    entries: tuple[dict[str, str], ...]
    policy: PagePolicy


def _tracker(kind: str, tracker_id: str) -> Tracker:
    if kind == TrackerKind.GOOGLE_ANALYTICS:
        return Tracker(
            kind,
            f"https://www.googletagmanager.com/gtag/js?id={tracker_id}",
            None,
            ("https://www.googletagmanager.com", "https://www.google-analytics.com"),
        )
    if kind == TrackerKind.GOOGLE_TAG_MANAGER:
        return Tracker(
            kind,
            f"https://www.googletagmanager.com/gtm.js?id={tracker_id}",
            None,
            ("https://www.googletagmanager.com",),
        )
    return Tracker(
        kind,
        "https://connect.facebook.net/en_US/fbevents.js",
        f"https://www.facebook.com/tr?id={tracker_id}&ev=PageView&noscript=1",
        ("https://connect.facebook.net", "https://www.facebook.com"),
    )


def page_policy(ctx: Context, workspace_id: UUID) -> PagePolicy:
    """NotFoundError for an unknown workspace."""
    record = require_workspace(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    if setting_of(workspace.settings, PrivacySetting.BLOCK_TRACKERS):
        return PagePolicy(record.name, (), _NOTHING_FOREIGN)
    trackers = tuple(
        _tracker(item["kind"], item["id"])
        for item in setting_of(workspace.settings, PrivacySetting.TRACKERS)
    )
    hosts = " ".join(sorted({host for t in trackers for host in t.hosts}))
    if not hosts:
        return PagePolicy(record.name, (), _NOTHING_FOREIGN)
    policy = (
        f"default-src 'none'; script-src {hosts}; img-src 'self' {hosts}; "
        f"connect-src {hosts}; style-src 'self' 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return PagePolicy(record.name, trackers, policy)


def form_page(ctx: Context, workspace_id: UUID, form_id: UUID) -> FormPage:
    policy = page_policy(ctx, workspace_id)
    form = require_form(ctx, workspace_id, form_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    cookie_forms = setting_of(workspace.settings, PrivacySetting.FORM_VALUE_COOKIES)
    return FormPage(
        workspace_id,
        form.id,
        form.name,
        tuple(form.fields),
        str(form.id) in cookie_forms,
        policy,
    )


def faq_page(ctx: Context, workspace_id: UUID) -> FaqPage:
    policy = page_policy(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    entries = setting_of(workspace.settings, PrivacySetting.FAQ)
    return FaqPage(workspace_id, tuple(entries), policy)


def values_to_remember(page: FormPage, values: dict[str, str]) -> dict[str, str]:
    """What a form that may use cookies keeps for the next visit: never a
    sensitive or hidden field, never anything when the form may not."""
    if not page.stores_values_in_cookies:
        return {}
    kept = {f["name"] for f in page.fields if not f["sensitive"] and not f["hidden"]}
    return {name: value for name, value in values.items() if name in kept and value}
