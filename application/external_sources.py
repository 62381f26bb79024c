"""External data sources (issue 9.3): systems a workspace registers that hold
people's records, asked during gathering with the proven identifiers.

Identifiers go out as a keyed digest per source unless the source is set to
receive them in clear: HMAC-SHA256 under the source's own secret over
"kind:normalised value", so a source can match them against its own data and two
sources cannot link their digests. Every call is an event with its outcome and
count; what a source returns goes only into the encrypted file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from collections.abc import Iterator
from uuid import UUID

import structlog

from application.archive_pushes import require_https
from application.context import Context
from application.errors import InvalidInputError, NotFoundError
from application.integration_ports import EndpointRecord, SourceEndpoint
from application.integrations import IntegrationServices, _domain, _load
from application.ports import DeliveryError, ExternalRecord, ExternalSource, UserRecord
from application.workspaces import require_role
from domain.integrations import (
    ExternalEndpoint,
    ExternalSourceCall,
    IdentifierMode,
    secrets_owner,
)
from domain.model import Role
from domain.personal_data import PersonalData

log = structlog.get_logger(__name__)

MAX_TIMEOUT_SECONDS = 60.0


def register_source(
    ctx: Context,
    svc: IntegrationServices,
    actor: UserRecord,
    *,
    name: str,
    url: str,
    secret: str,
    identifiers: str = IdentifierMode.DIGEST.value,
    timeout_seconds: float = 10.0,
) -> UUID:
    """Registers an HTTPS endpoint to ask during gathering (administrators
    only). InvalidInputError for plain HTTP, a short secret or a bad timeout."""
    require_role(actor, Role.ADMINISTRATOR)
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise InvalidInputError("a source needs a name of 1 to 100 characters")
    require_https(url, svc.allow_plain_http_loopback, "url")
    if len(secret) < 16:
        raise InvalidInputError("the source secret must be at least 16 characters")
    try:
        mode = IdentifierMode(identifiers)
    except ValueError:
        raise InvalidInputError("identifiers are sent as digest or clear") from None
    if not 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidInputError(
            f"timeout_seconds must be above 0 and at most {MAX_TIMEOUT_SECONDS}"
        )
    endpoint = ExternalEndpoint(
        workspace_id=actor.workspace_id,
        name=clean,
        url=url,
        identifiers=mode.value,
        secret=PersonalData(secrets_owner(actor.workspace_id), "source", secret),
        timeout_seconds=timeout_seconds,
        actor_id=actor.user_id,
    )
    ctx.save(endpoint)
    return endpoint.id


def remove_source(ctx: Context, actor: UserRecord, endpoint_id: UUID) -> None:
    require_role(actor, Role.ADMINISTRATOR)
    endpoint = _load(ctx, endpoint_id, ExternalEndpoint)
    if endpoint is None or endpoint.workspace_id != actor.workspace_id:
        raise NotFoundError("external source", endpoint_id)
    _domain(lambda: endpoint.remove(actor.user_id))
    ctx.save(endpoint)


def sources(
    ctx: Context, svc: IntegrationServices, actor: UserRecord
) -> list[EndpointRecord]:
    require_role(actor, Role.ADMINISTRATOR)
    return svc.views.endpoints(actor.workspace_id)


def identifier_digest(secret: str, kind: str, normalised: str) -> str:
    message = f"{kind}:{normalised}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class RegisteredSources(ExternalSource):
    """Every source the workspace registered, behind the one port gathering
    calls. Sources that fail are named together in one DeliveryError after the
    others have given what they hold, so the file lists them as unavailable."""

    name = "external source"

    def __init__(self, ctx: Context, svc: IntegrationServices) -> None:
        self._ctx = ctx
        self._svc = svc

    def records_for(
        self, workspace_id: UUID, identities: list[tuple[str, str]]
    ) -> Iterator[ExternalRecord]:
        unavailable: list[str] = []
        for record in self._svc.views.endpoints(workspace_id):
            endpoint = self._endpoint(record)
            if endpoint is None:
                continue
            found, reason = self._call(endpoint, identities)
            if reason is not None:
                unavailable.append(f"{endpoint.name} unavailable ({reason})")
            for item in found:
                yield dataclasses.replace(item, source=endpoint.name)
        if unavailable:
            raise DeliveryError(self.name, "; ".join(unavailable))

    def _endpoint(self, record: EndpointRecord) -> SourceEndpoint | None:
        aggregate = _load(self._ctx, record.endpoint_id, ExternalEndpoint)
        if aggregate is None or not aggregate.active or aggregate.secret.is_erased:
            return None
        return SourceEndpoint(
            endpoint_id=record.endpoint_id,
            workspace_id=record.workspace_id,
            name=aggregate.name,
            url=aggregate.url,
            identifiers=aggregate.identifiers,
            secret=aggregate.secret.text(),
            timeout_seconds=aggregate.timeout_seconds,
        )

    def _call(
        self, endpoint: SourceEndpoint, identities: list[tuple[str, str]]
    ) -> tuple[list[ExternalRecord], str | None]:
        payload = [self._identity(endpoint, kind, value) for kind, value in identities]
        started = time.monotonic()
        found: list[ExternalRecord] = []
        reason: str | None = None
        try:
            found = self._svc.sources.fetch(endpoint, payload)
        except DeliveryError as error:
            reason = error.reason
        duration_ms = int((time.monotonic() - started) * 1000)
        self._ctx.save(
            ExternalSourceCall(
                workspace_id=endpoint.workspace_id,
                endpoint_id=endpoint.endpoint_id,
                name=endpoint.name,
                outcome="unavailable" if reason else "answered",
                records=len(found),
                reason=reason,
                duration_ms=duration_ms,
                called_at=self._ctx.clock.now(),
            )
        )
        if reason:
            log.warning(
                "integrations.source_unavailable",
                endpoint_id=str(endpoint.endpoint_id),
                duration_ms=duration_ms,
            )
        return found, reason

    def _identity(
        self, endpoint: SourceEndpoint, kind: str, value: str
    ) -> dict[str, str]:
        normalised = self._ctx.hasher.normalise(kind, value)
        if endpoint.identifiers == IdentifierMode.CLEAR:
            return {"kind": kind, "value": normalised}
        return {
            "kind": kind,
            "digest": identifier_digest(endpoint.secret, kind, normalised),
        }
