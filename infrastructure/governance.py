"""Adapters of access governance: the offline country database, Argon2id, the
bundled common-password list, and the projections (accounts, sessions, policies,
security events, legal-basis ledger) with the queries over them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any
from uuid import UUID

import argon2
import iptocc
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from application.accounts import Accounts
from application.context import Context
from application.errors import InvalidInputError
from application.governance import (
    AccessGuard,
    GovernanceViews,
    SessionRecord,
    parse_networks,
)
from application.governance_ports import CountryLookup, PasswordHasher
from application.ports import UserRecord
from domain.accounts import AccessPolicy
from infrastructure.db import (
    accounts,
    governance_policies,
    legal_basis_ledger,
    security_events,
    sessions,
    users,
)
from infrastructure.settings import ConfigurationError, Settings
from infrastructure.views import ProjectedEvent, SqlReadModels

COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"


class RirCountryLookup(CountryLookup):
    """Country by the Regional Internet Registries' delegation files, as the
    `iptocc` package embeds them (MIT/Apache-2.0; refreshed with each release):
    no file, no network at run time. A block's country is where the registry
    delegated it, which matches the user's location for most, not all."""

    def country(self, address: IPv4Address | IPv6Address) -> str | None:
        try:
            found = iptocc.country_code(str(address))
        except (ValueError, TypeError):
            return None
        return found if isinstance(found, str) and len(found) == 2 else None


class Argon2PasswordHasher(PasswordHasher):
    """Argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)."""

    def __init__(self) -> None:
        self._hasher = argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except argon2.exceptions.VerificationError:
            return False
        except argon2.exceptions.InvalidHashError:
            return False


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (see scripts/build_common_passwords.py for its source)."""
    text = COMMON_PASSWORDS.read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


@dataclass(frozen=True)
class LedgerEntry:
    entry_id: int
    workspace_id: UUID
    grantor_id: UUID | None
    grantee_id: UUID
    scope: str
    case_id: UUID | None
    role: str | None
    purpose: str
    confirmed_at: dt.datetime


@dataclass(frozen=True)
class SecurityEvent:
    entry_id: int
    kind: str
    user_id: UUID | None
    country: str | None
    detail: str
    occurred_at: dt.datetime


class SqlGovernanceViews(GovernanceViews):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Built once: this lookup runs on every request with a session token.
        self._session_query = (
            sa.select(
                sessions.c.session_id,
                sessions.c.second_factor,
                sessions.c.expires_at,
                sessions.c.revoked,
                users.c.user_id,
                users.c.workspace_id,
                users.c.role,
                users.c.active,
            )
            .join(users, users.c.user_id == sessions.c.user_id)
            .where(sessions.c.token_hash == sa.bindparam("token_hash"))
        )

    def session(self, token_hash: str) -> SessionRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                self._session_query, {"token_hash": token_hash}
            ).first()
        if row is None:
            return None
        user = UserRecord(
            UUID(row.user_id), UUID(row.workspace_id), row.role, row.active
        )
        return SessionRecord(
            UUID(row.session_id),
            user,
            row.second_factor,
            _aware(row.expires_at),
            row.revoked,
        )

    def policy(self, workspace_id: UUID) -> AccessPolicy | None:
        with self._engine.connect() as connection:
            settings = connection.execute(
                sa.select(governance_policies.c.settings).where(
                    governance_policies.c.workspace_id == str(workspace_id)
                )
            ).scalar()
        return (
            None
            if settings is None
            else AccessPolicy.from_settings(orjson.loads(settings))
        )

    def second_factor_enabled(self, user_id: UUID) -> bool:
        with self._engine.connect() as connection:
            enabled = connection.execute(
                sa.select(accounts.c.second_factor).where(
                    accounts.c.user_id == str(user_id)
                )
            ).scalar()
        return bool(enabled)

    def account_user(self, workspace_id: UUID, email_digest: str) -> UUID | None:
        with self._engine.connect() as connection:
            user_id = connection.execute(
                sa.select(accounts.c.user_id)
                .where(
                    (accounts.c.workspace_id == str(workspace_id))
                    & (accounts.c.email_digest == email_digest)
                    & accounts.c.has_password
                )
                .limit(1)
            ).scalar()
        return None if user_id is None else UUID(user_id)

    def live_sessions(
        self, user_id: UUID, now: dt.datetime
    ) -> list[tuple[UUID, str | None]]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(sessions.c.session_id, sessions.c.country).where(
                    (sessions.c.user_id == str(user_id))
                    & sessions.c.revoked.is_(False)
                    & (sessions.c.expires_at > now)
                )
            ).all()
        return [(UUID(row.session_id), row.country) for row in rows]

    def ledger(self, workspace_id: UUID, limit: int = 1000) -> list[LedgerEntry]:
        c = legal_basis_ledger.c
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(legal_basis_ledger)
                .where(c.workspace_id == str(workspace_id))
                .order_by(c.notification_id)
                .limit(limit)
            ).all()
        return [
            LedgerEntry(
                row.notification_id,
                UUID(row.workspace_id),
                _uuid(row.grantor_id),
                UUID(row.grantee_id),
                row.scope,
                _uuid(row.case_id),
                row.role,
                row.purpose,
                _aware(row.confirmed_at),
            )
            for row in rows
        ]

    def security_events(
        self, workspace_id: UUID, kind: str | None = None, limit: int = 1000
    ) -> list[SecurityEvent]:
        c = security_events.c
        query = sa.select(security_events).where(c.workspace_id == str(workspace_id))
        if kind is not None:
            query = query.where(c.kind == kind)
        with self._engine.connect() as connection:
            rows = connection.execute(
                query.order_by(c.notification_id).limit(limit)
            ).all()
        return [
            SecurityEvent(
                row.notification_id,
                row.kind,
                _uuid(row.user_id),
                row.country,
                row.detail,
                _aware(row.occurred_at),
            )
            for row in rows
        ]


# Projections


class GovernanceProjection:
    """Handlers for the governance events, registered on the shared views."""

    def __init__(self, views: SqlReadModels) -> None:
        self._views = views

    def register(self) -> None:
        views = self._views
        views.add_tables(
            accounts, sessions, governance_policies, security_events, legal_basis_ledger
        )
        handlers = {
            "Account.Registered": self._registered,
            "Account.PasswordSet": self._password_set,
            "Account.LoginFailed": self._login_failed,
            "Account.LockedOut": self._locked_out,
            "Account.LoggedIn": self._logged_in,
            "Account.SessionRevoked": self._session_revoked,
            "Account.ConcurrentCountriesFlagged": self._concurrent,
            "Account.TwoFactorEnrolmentStarted": self._enrolment_started,
            "Account.TwoFactorEnabled": self._second_factor_enabled,
            "Account.TwoFactorDisabled": self._second_factor_disabled,
            "Account.RecoveryCodeUsed": self._recovery_code_used,
            "GovernancePolicy.Adopted": self._policy,
            "GovernancePolicy.Changed": self._policy,
            "LegalBasis.Confirmed": self._legal_basis,
            "FirewallRefusal.RequestRefused": self._refused,
            "User.RoleGranted": self._role_granted,
        }
        for kind, handler in handlers.items():
            views.add_handler(kind, handler)

    def _registered(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.insert(accounts).values(
                user_id=str(e["user_id"]),
                account_id=str(e.originator_id),
                workspace_id=str(e["workspace_id"]),
                # An erased user's digest reads as the marker: no login finds it.
                email_digest=e["email_digest"].text()[:64],
                has_password=False,
                second_factor=False,
            )
        )

    def _password_set(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_account(c, e, has_password=True)
        self._security(c, e, "password.set", f"by {e['actor_id']}")

    def _login_failed(self, c: Connection, e: ProjectedEvent) -> None:
        self._security(c, e, "login.failed", e["reason"], country=e["country"])

    def _locked_out(self, c: Connection, e: ProjectedEvent) -> None:
        detail = f"locked until {e['until']:%Y-%m-%d %H:%M:%S} after failures"
        self._security(c, e, "login.locked_out", detail, country=e["country"])

    def _logged_in(self, c: Connection, e: ProjectedEvent) -> None:
        owner = self._account(c, e)
        c.execute(
            sa.insert(sessions).values(
                token_hash=e["token_hash"],
                session_id=str(e["session_id"]),
                user_id=owner.user_id,
                workspace_id=owner.workspace_id,
                second_factor=e["second_factor"],
                country=e["country"],
                created_at=e["at"],
                expires_at=e["expires_at"],
                revoked=False,
            )
        )
        factor = "password and code" if e["second_factor"] else "password"
        self._security(c, e, "login.succeeded", factor, country=e["country"])

    def _session_revoked(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(sessions)
            .where(sessions.c.session_id == str(e["session_id"]))
            .values(revoked=True)
        )
        self._security(c, e, "session.revoked", f"by {e['actor_id']}")

    def _concurrent(self, c: Connection, e: ProjectedEvent) -> None:
        detail = "live sessions from " + ", ".join(e["countries"])
        self._security(c, e, "sessions.concurrent_countries", detail)

    def _enrolment_started(self, c: Connection, e: ProjectedEvent) -> None:
        self._security(c, e, "second_factor.enrolment_started", "TOTP")

    def _second_factor_enabled(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_account(c, e, second_factor=True)
        self._security(c, e, "second_factor.enabled", "TOTP")

    def _second_factor_disabled(self, c: Connection, e: ProjectedEvent) -> None:
        self._update_account(c, e, second_factor=False)
        self._security(c, e, "second_factor.disabled", f"by {e['actor_id']}")

    def _recovery_code_used(self, c: Connection, e: ProjectedEvent) -> None:
        self._security(c, e, "second_factor.recovery_code_used", "one code spent")

    def _policy(self, c: Connection, e: ProjectedEvent) -> None:
        settings = orjson.dumps(e["settings"]).decode()
        workspace = str(e["workspace_id"])
        updated = c.execute(
            sa.update(governance_policies)
            .where(governance_policies.c.workspace_id == workspace)
            .values(settings=settings)
        )
        if updated.rowcount == 0:
            c.execute(
                sa.insert(governance_policies).values(
                    workspace_id=workspace, settings=settings
                )
            )
        if e.kind == "GovernancePolicy.Changed":
            self._insert_security(
                c, e, workspace, "policy.changed", str(e["actor_id"]), None, settings
            )

    def _legal_basis(self, c: Connection, e: ProjectedEvent) -> None:
        case_id = e["case_id"]
        c.execute(
            sa.insert(legal_basis_ledger).values(
                notification_id=e.id,
                workspace_id=str(e["workspace_id"]),
                grantor_id=_text(e["grantor_id"]),
                grantee_id=str(e["grantee_id"]),
                scope=e["scope"],
                case_id=_text(case_id),
                role=e["role"],
                purpose=e["purpose"][:200],
                confirmed_at=e["confirmed_at"],
            )
        )

    def _refused(self, c: Connection, e: ProjectedEvent) -> None:
        self._insert_security(
            c,
            e,
            str(e["workspace_id"]),
            "request.refused",
            _text(e["user_id"]),
            e["country"],
            f"{e['reason']} ({e['path']})",
        )

    def _role_granted(self, c: Connection, e: ProjectedEvent) -> None:
        c.execute(
            sa.update(users)
            .where(users.c.user_id == str(e.originator_id))
            .values(role=e["role"])
        )

    # Helpers

    def _account(self, c: Connection, e: ProjectedEvent) -> Any:
        row = c.execute(
            sa.select(accounts.c.user_id, accounts.c.workspace_id).where(
                accounts.c.account_id == str(e.originator_id)
            )
        ).first()
        if row is None:
            raise LookupError(f"account {e.originator_id} was never registered")
        return row

    def _update_account(self, c: Connection, e: ProjectedEvent, **values: Any) -> None:
        c.execute(
            sa.update(accounts)
            .where(accounts.c.account_id == str(e.originator_id))
            .values(**values)
        )

    def _security(
        self,
        c: Connection,
        e: ProjectedEvent,
        kind: str,
        detail: str,
        *,
        country: str | None = None,
    ) -> None:
        owner = self._account(c, e)
        self._insert_security(
            c, e, owner.workspace_id, kind, owner.user_id, country, detail
        )

    def _insert_security(
        self,
        c: Connection,
        e: ProjectedEvent,
        workspace_id: str,
        kind: str,
        user_id: str | None,
        country: str | None,
        detail: str,
    ) -> None:
        c.execute(
            sa.insert(security_events).values(
                notification_id=e.id,
                workspace_id=workspace_id,
                kind=kind,
                user_id=user_id,
                country=country,
                detail=detail[:200],
                occurred_at=e["timestamp"],
            )
        )


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class AccessGovernance:
    """What the interface needs of issue 7, wired once by the composition root."""

    guard: AccessGuard
    accounts: Accounts
    views: SqlGovernanceViews


def access_governance(
    ctx: Context, engine: Engine, settings: Settings
) -> AccessGovernance:
    try:
        trusted = parse_networks(settings.trusted_proxies)
    except InvalidInputError as error:
        raise ConfigurationError(f"GDPRKIT_TRUSTED_PROXIES: {error}") from None
    views = SqlGovernanceViews(engine)
    guard = AccessGuard(ctx, views, RirCountryLookup(), trusted)
    accounts_ = Accounts(
        guard, Argon2PasswordHasher(), common_passwords(), settings.session_minutes
    )
    return AccessGovernance(guard, accounts_, views)
