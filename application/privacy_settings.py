"""Workspace settings of issue 10, changed as `Workspace.SettingChanged` events,
and the history of every setting change an administrator can read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.context import Context
from application.errors import InvalidInputError
from application.outbound_ports import OutboundServices, SettingChange
from application.workspaces import require_workspace
from domain.model import Workspace
from domain.outbound_privacy import (
    DEFAULTS,
    InvalidSettingError,
    PrivacySetting,
    checked_setting,
    setting_of,
)


def workspace_settings(ctx: Context, workspace_id: UUID) -> dict[str, Any]:
    """Every setting of the workspace as it stands, issue 10's with defaults."""
    require_workspace(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    current = {str(key): value for key, value in DEFAULTS.items()}
    current.update(workspace.settings)
    return current


def privacy_setting(ctx: Context, workspace_id: UUID, key: PrivacySetting) -> Any:
    require_workspace(ctx, workspace_id)
    workspace: Workspace = ctx.store.get(workspace_id)
    return setting_of(workspace.settings, key)


def change_privacy_setting(
    ctx: Context, workspace_id: UUID, key: str, value: Any, actor_id: UUID | None
) -> Any:
    """Records one setting change; InvalidInputError (422) on an unknown key or a
    bad value, and nothing is recorded then."""
    require_workspace(ctx, workspace_id)
    try:
        checked = checked_setting(key, value)
    except InvalidSettingError as error:
        raise InvalidInputError(str(error)) from None
    workspace: Workspace = ctx.store.get(workspace_id)
    workspace.change_setting(key=key, value=checked, actor_id=actor_id)
    ctx.save(workspace)
    return checked


def setting_history(
    ctx: Context, svc: OutboundServices, workspace_id: UUID
) -> list[SettingChange]:
    """Who changed which setting to what, and when, oldest first."""
    require_workspace(ctx, workspace_id)
    return svc.views.setting_changes(workspace_id)
