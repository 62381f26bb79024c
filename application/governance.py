"""Access governance at the door: who the caller is (API token or session), where
they are (client address and country), and whether the workspace lets them in
(test expiry, EU/EEA firewall, mandatory second factor).

`AccessGuard.admit` runs on every authenticated request, so it is one indexed
lookup plus in-process work: the workspace's policy is cached for a few seconds
(changes made through this process take effect at once).
"""

from __future__ import annotations

import abc
import datetime as dt
import ipaddress
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any
from uuid import UUID, uuid4

from application import workspaces as ws
from application.context import Context
from application.errors import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    UnauthenticatedError,
)
from application.governance_ports import CountryLookup
from application.ports import UserRecord, WorkspaceRecord
from domain.accounts import (
    AccessPolicy,
    AddressKind,
    FirewallRefusal,
    GovernancePolicy,
    expiry_of_test_workspace,
    firewall_refusal,
    is_expired,
    policy_id_for,
)
from domain.model import Role, log_period_owner
from domain.personal_data import PersonalData

SESSION_PREFIX = "gks_"
POLICY_CACHE_SECONDS = 5.0

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class WorkspaceExpiredError(ApplicationError):
    status = 403
    title = "Workspace expired"

    def __init__(self, workspace_id: UUID, expired_at: dt.datetime) -> None:
        self.workspace_id = workspace_id
        super().__init__(
            f"this test workspace expired on {expired_at:%Y-%m-%d}; its data "
            "will be purged. Ask the platform operator for a new one."
        )


class FirewallRefusedError(ApplicationError):
    status = 403
    title = "Outside the allowed region"

    def __init__(self, workspace_id: UUID, country: str | None, reason: str) -> None:
        self.workspace_id = workspace_id
        self.country = country
        super().__init__(
            f"this workspace accepts requests only from the EU/EEA and its "
            f"allow-list: {reason}"
        )


class SecondFactorRequiredError(ApplicationError):
    status = 403
    title = "Second factor required"

    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        super().__init__(
            "this workspace requires two-factor authentication: enrol at "
            "/v1/me/second-factor, then log in again with a code"
        )


# Client address


@dataclass(frozen=True)
class Client:
    """Where a request comes from, after trusted proxies are taken off."""

    address: str | None  # as given, for the sealed record
    ip: IPAddress | None  # None when missing or malformed
    kind: AddressKind
    country: str | None


def parse_address(text: str | None) -> IPAddress | None:
    """An address as proxies write it: IPv4, IPv6, bracketed IPv6 with a port,
    IPv4 with a port; IPv4-mapped IPv6 becomes the IPv4 it carries."""
    if not text:
        return None
    candidate = text.strip()
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        parsed = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def parse_networks(spec: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR blocks (GDPRKIT_TRUSTED_PROXIES)."""
    networks = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InvalidInputError(f"not an address or CIDR block: {item!r}") from None
    return tuple(networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """The client's address: X-Forwarded-For is believed only when the immediate
    peer is a trusted proxy, and only up to the first hop that is not one
    (walking from the right, the hops our own proxies appended)."""
    peer_ip = parse_address(peer)
    if not forwarded_for or peer_ip is None or not _is_trusted(peer_ip, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    for hop in reversed(hops):
        hop_ip = parse_address(hop)
        if hop_ip is None or not _is_trusted(hop_ip, trusted):
            return hop
    return hops[0]


def _is_trusted(address: IPAddress, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def classify(address: IPAddress | None) -> AddressKind:
    if address is None:
        return AddressKind.MALFORMED
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
        or address.is_multicast
    ):
        return AddressKind.PRIVATE
    return AddressKind.PUBLIC


# The guard


@dataclass(frozen=True)
class SessionRecord:
    session_id: UUID
    user: UserRecord
    second_factor: bool
    expires_at: dt.datetime
    revoked: bool


class GovernanceViews(abc.ABC):
    """The projections access governance reads on the hot path and for login."""

    @abc.abstractmethod
    def session(self, token_hash: str) -> SessionRecord | None: ...

    @abc.abstractmethod
    def policy(self, workspace_id: UUID) -> AccessPolicy | None: ...

    @abc.abstractmethod
    def second_factor_enabled(self, user_id: UUID) -> bool: ...

    @abc.abstractmethod
    def account_user(self, workspace_id: UUID, email_digest: str) -> UUID | None: ...

    @abc.abstractmethod
    def live_sessions(
        self, user_id: UUID, now: dt.datetime
    ) -> list[tuple[UUID, str | None]]:
        """(session id, country) of the user's unrevoked, unexpired sessions."""


@dataclass(frozen=True)
class Admission:
    user: UserRecord
    client: Client
    session_id: UUID | None
    second_factor: bool


@dataclass
class _Cached:
    policy: AccessPolicy
    workspace: WorkspaceRecord
    fetched: float


class AccessGuard:
    """Admits or refuses each request and login; see the module docstring."""

    def __init__(
        self,
        ctx: Context,
        views: GovernanceViews,
        countries: CountryLookup,
        trusted_proxies: Sequence[Network] = (),
    ) -> None:
        self.ctx = ctx
        self.views = views
        self.countries = countries
        self.trusted_proxies = tuple(trusted_proxies)
        self._cache: dict[UUID, _Cached] = {}
        self._lock = threading.Lock()

    # Policy

    def policy(self, workspace_id: UUID) -> AccessPolicy:
        return self._cached(workspace_id).policy

    def _cached(self, workspace_id: UUID) -> _Cached:
        now = time.monotonic()
        cached = self._cache.get(workspace_id)
        if cached is not None and now - cached.fetched < POLICY_CACHE_SECONDS:
            return cached
        workspace = ws.require_workspace(self.ctx, workspace_id)
        policy = self.views.policy(workspace_id) or AccessPolicy()
        cached = _Cached(policy, workspace, now)
        with self._lock:
            self._cache[workspace_id] = cached
        return cached

    def change_policy(
        self, actor: UserRecord, workspace_id: UUID, changes: dict[str, Any]
    ) -> AccessPolicy:
        """Changes some of the workspace's access settings (administrators).
        InvalidInputError (422) for unknown keys or values."""
        ws.require_role(actor, Role.ADMINISTRATOR)
        current = self.policy(workspace_id).as_settings()
        unknown = set(changes) - set(current)
        if unknown:
            raise InvalidInputError(f"unknown settings: {', '.join(sorted(unknown))}")
        merged = {**current, **changes}
        merged["allowed_countries"] = sorted(
            {code.upper() for code in merged["allowed_countries"]}
        )
        try:
            policy = AccessPolicy.from_settings(merged)
        except (ValueError, TypeError) as error:
            raise InvalidInputError(f"invalid setting: {error}") from None
        if policy.test_expiry_days < 1:
            raise InvalidInputError("test_expiry_days must be at least 1")
        aggregate_id = policy_id_for(workspace_id)
        if aggregate_id in self.ctx.store.repository:
            aggregate: GovernancePolicy = self.ctx.store.get(aggregate_id)
        else:
            aggregate = GovernancePolicy(
                aggregate_id=aggregate_id,
                workspace_id=workspace_id,
                settings=AccessPolicy().as_settings(),
            )
        aggregate.change(
            workspace_id=workspace_id,
            settings=policy.as_settings(),
            actor_id=actor.user_id,
        )
        self.ctx.save(aggregate)
        with self._lock:
            self._cache.pop(workspace_id, None)
        return policy

    # Per request

    def resolve_client(self, peer: str | None, forwarded_for: str | None) -> Client:
        address = client_address(peer, forwarded_for, self.trusted_proxies)
        ip = parse_address(address)
        kind = classify(ip)
        country = (
            self.countries.country(ip)
            if ip is not None and kind is AddressKind.PUBLIC
            else None
        )
        return Client(address, ip, kind, country)

    def admit(
        self,
        token: str,
        client: Client,
        path: str,
        *,
        second_factor_exempt: bool = False,
    ) -> Admission:
        """The caller of one request, or the error that refuses it: 401 for an
        unknown, expired or revoked credential; 403 for an expired test
        workspace, an address outside the EU/EEA (recorded) or a missing second
        factor where the workspace requires one."""
        session: SessionRecord | None = None
        if token.startswith(SESSION_PREFIX):
            session = self.views.session(ws.hash_token(token))
            now = self.ctx.clock.now()
            if session is None or session.revoked or session.expires_at <= now:
                raise UnauthenticatedError("unknown, expired or revoked session")
            user = session.user
            if not user.active:
                raise UnauthenticatedError("unknown, expired or revoked session")
        else:
            user = ws.authenticate(self.ctx, token)
        cached = self._cached(user.workspace_id)
        self.refuse_if_expired(cached.workspace, cached.policy)
        self.refuse_outside_region(
            cached.policy, user.workspace_id, user.user_id, client, path
        )
        has_second_factor = (
            session.second_factor
            if session is not None
            else cached.policy.require_second_factor
            and self.views.second_factor_enabled(user.user_id)
        )
        if (
            cached.policy.require_second_factor
            and not has_second_factor
            and not second_factor_exempt
        ):
            raise SecondFactorRequiredError(user.user_id)
        return Admission(
            user,
            client,
            None if session is None else session.session_id,
            has_second_factor,
        )

    def refuse_if_expired(
        self, workspace: WorkspaceRecord, policy: AccessPolicy
    ) -> None:
        now = self.ctx.clock.now()
        days = policy.test_expiry_days
        if is_expired(workspace.is_test, workspace.created_at, now, days):
            raise WorkspaceExpiredError(
                workspace.workspace_id,
                expiry_of_test_workspace(workspace.created_at, days),
            )

    def refuse_outside_region(
        self,
        policy: AccessPolicy,
        workspace_id: UUID,
        user_id: UUID | None,
        client: Client,
        path: str,
    ) -> None:
        reason = firewall_refusal(policy, client.kind, client.country)
        if reason is None:
            return
        now = self.ctx.clock.now()
        refusal = FirewallRefusal(
            aggregate_id=uuid4(),
            workspace_id=workspace_id,
            user_id=user_id,
            country=client.country,
            client_address=None
            if client.address is None
            else PersonalData(
                log_period_owner(workspace_id, now),
                "client_address",
                client.address[:100],
            ),
            path=path[:200],
            reason=reason,
            refused_at=now,
        )
        self.ctx.save(refusal)
        raise FirewallRefusedError(workspace_id, client.country, reason)


def refuse_policy_conflict(policy: AccessPolicy) -> None:
    if policy.require_second_factor:
        raise ConflictError(
            "this workspace requires two-factor authentication: it cannot be "
            "turned off for one user"
        )
