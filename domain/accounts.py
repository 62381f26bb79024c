"""Access governance: accounts with passwords, second factors and sessions; the
workspace's access policy (EU/EEA firewall, mandatory second factor, test expiry);
legal-basis confirmations; refused requests.

Pure rules live here too (password policy, lockout backoff, TOTP replay, firewall
verdicts, test-workspace expiry), so they are tested without I/O. Secrets are
never in clear in an event: password hashes and TOTP secrets are sealed under the
user's key, session tokens and recovery codes are stored as hashes only.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.personal_data import PersonalData

# The 27 EU member states, then Iceland, Liechtenstein and Norway (EEA). Greece is
# "GR" in ISO 3166-1, which the IP registries use (not the EU's "EL").
EU_EEA: frozenset[str] = frozenset(
    {
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE"),
        *("GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT"),
        *("RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),
    }
)

PASSWORD_MIN_LENGTH = 8
FAILURES_BEFORE_LOCKOUT = 5
FIRST_LOCKOUT = dt.timedelta(minutes=1)
LONGEST_LOCKOUT = dt.timedelta(hours=1)
DEFAULT_TEST_EXPIRY_DAYS = 30

_ACCOUNT_NAMESPACE = UUID("8d1f7c52-3b0e-4f5a-9c61-7a2e4b9d0c13")
_POLICY_NAMESPACE = UUID("c4a9e2d7-61f0-4b8e-a3d5-0e7f9b1c2a64")

# Digits and symbols people put in place of letters; undone before the list check
# so "P@ssw0rd" counts as "password".
_LEET = str.maketrans("@4310$57!", "aaeiossti")


class AccountLockedError(DomainError):
    def __init__(self, user_id: UUID, until: dt.datetime) -> None:
        self.user_id = user_id
        self.until = until
        super().__init__(
            f"too many failed attempts; try again after {until:%H:%M:%S} UTC"
        )


class ReplayedCodeError(DomainError):
    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        super().__init__("this code was used already; wait for the next one")


def account_id_for(user_id: UUID) -> UUID:
    return uuid5(_ACCOUNT_NAMESPACE, str(user_id))


def policy_id_for(workspace_id: UUID) -> UUID:
    return uuid5(_POLICY_NAMESPACE, str(workspace_id))


# Password policy


def password_problems(password: str, common: Collection[str]) -> list[str]:
    """What is wrong with a new password, as short phrases; empty when it passes.

    Besides the character classes, the password is refused when it, or its
    letters once leading and trailing digits and symbols are stripped and common
    substitutions undone, is on the list of common and breached passwords.
    """
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"at least {PASSWORD_MIN_LENGTH} characters")
    if not any(character.islower() for character in password):
        problems.append("a lower-case letter")
    if not any(character.isupper() for character in password):
        problems.append("an upper-case letter")
    if not any(character.isdigit() for character in password):
        problems.append("a digit")
    if all(character.isalnum() or character.isspace() for character in password):
        problems.append("a symbol")
    if any(candidate in common for candidate in _list_candidates(password)):
        problems.append("not a common or breached password")
    return problems


def _list_candidates(password: str) -> set[str]:
    folded = password.casefold()
    core = folded.strip("0123456789!@#$%^&*()-_=+.,;:?~'\"[]{}<>/\\| ")
    candidates = {folded, folded.translate(_LEET)}
    if len(core) >= 4:
        candidates |= {core, core.translate(_LEET)}
    return candidates


# Lockout


def lockout_duration(previous_lockouts: int) -> dt.timedelta:
    """Doubles with every lockout since the last successful login, up to a cap."""
    seconds = FIRST_LOCKOUT.total_seconds() * 2 ** min(previous_lockouts, 16)
    return min(dt.timedelta(seconds=seconds), LONGEST_LOCKOUT)


# Workspace policy


class UnknownCountryRule(enum.StrEnum):
    REFUSE = "refuse"
    ALLOW = "allow"


class PrivateAddressRule(enum.StrEnum):
    ALLOW = "allow"
    REFUSE = "refuse"


class AddressKind(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"  # private, loopback, link-local, unique-local, reserved
    MALFORMED = "malformed"  # absent or not an IP address


@dataclass(frozen=True)
class AccessPolicy:
    """A workspace's access rules; the defaults are those of a new workspace."""

    require_second_factor: bool = False
    firewall_enabled: bool = False
    allowed_countries: frozenset[str] = field(default_factory=frozenset)
    unknown_country: str = UnknownCountryRule.REFUSE.value
    private_addresses: str = PrivateAddressRule.ALLOW.value
    test_expiry_days: int = DEFAULT_TEST_EXPIRY_DAYS

    def as_settings(self) -> dict[str, Any]:
        return {
            "require_second_factor": self.require_second_factor,
            "firewall_enabled": self.firewall_enabled,
            "allowed_countries": sorted(self.allowed_countries),
            "unknown_country": self.unknown_country,
            "private_addresses": self.private_addresses,
            "test_expiry_days": self.test_expiry_days,
        }

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> AccessPolicy:
        return cls(
            require_second_factor=bool(settings["require_second_factor"]),
            firewall_enabled=bool(settings["firewall_enabled"]),
            allowed_countries=frozenset(settings["allowed_countries"]),
            unknown_country=UnknownCountryRule(settings["unknown_country"]).value,
            private_addresses=PrivateAddressRule(settings["private_addresses"]).value,
            test_expiry_days=int(settings["test_expiry_days"]),
        )


def firewall_refusal(
    policy: AccessPolicy, kind: AddressKind, country: str | None
) -> str | None:
    """Why a request from this address is refused, or None when it may pass.

    Rules: EU/EEA countries and the workspace's allow-list pass. A public address
    whose country the database does not know follows `unknown_country` (refused
    by default). Private and loopback addresses follow `private_addresses`
    (allowed by default: they come from the operator's own network, and a proxy
    in front would be a configured trusted proxy). A missing or malformed
    address is always refused: there is nothing to decide on.
    """
    if not policy.firewall_enabled:
        return None
    if kind is AddressKind.MALFORMED:
        return "the client address is missing or malformed"
    if kind is AddressKind.PRIVATE:
        if policy.private_addresses == PrivateAddressRule.ALLOW:
            return None
        return "requests from private addresses are refused in this workspace"
    if country is None:
        if policy.unknown_country == UnknownCountryRule.ALLOW:
            return None
        return "the country of the client address is unknown"
    if country in EU_EEA or country in policy.allowed_countries:
        return None
    return f"requests from {country} are outside the EU/EEA and the allow-list"


def expiry_of_test_workspace(
    created_at: dt.datetime, days: int = DEFAULT_TEST_EXPIRY_DAYS
) -> dt.datetime:
    return created_at + dt.timedelta(days=days)


def is_expired(
    is_test: bool,
    created_at: dt.datetime,
    now: dt.datetime,
    days: int = DEFAULT_TEST_EXPIRY_DAYS,
) -> bool:
    """A test workspace expires `days` after creation; others never do."""
    return is_test and now >= expiry_of_test_workspace(created_at, days)


# Aggregates


class _Identified(Aggregate):
    @staticmethod
    def create_id(aggregate_id: UUID, **_: Any) -> UUID:
        return aggregate_id


class Account(_Identified):
    """The credentials and sign-in history of one user (one person)."""

    @event("Registered")
    def __init__(
        self,
        aggregate_id: UUID,
        user_id: UUID,
        workspace_id: UUID,
        email_digest: PersonalData,
    ) -> None:
        self.user_id = user_id
        self.workspace_id = workspace_id
        self.email_digest = email_digest
        self.password_hash: PersonalData | None = None
        self.totp_secret: PersonalData | None = None
        self.pending_totp_secret: PersonalData | None = None
        self.recovery_code_hashes: list[str] = []
        self.last_totp_step = -1
        self.failures = 0
        self.lockouts = 0
        self.locked_until: dt.datetime | None = None
        self.sessions: dict[str, dt.datetime] = {}  # id -> expiry, live ones

    @property
    def second_factor_enabled(self) -> bool:
        return self.totp_secret is not None

    def is_locked(self, at: dt.datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def refuse_if_locked(self, at: dt.datetime) -> None:
        if self.locked_until is not None and at < self.locked_until:
            raise AccountLockedError(self.user_id, self.locked_until)

    def refuse_replayed_step(self, step: int) -> None:
        if step <= self.last_totp_step:
            raise ReplayedCodeError(self.user_id)

    @event("PasswordSet")
    def set_password(self, password_hash: PersonalData, actor_id: UUID) -> None:
        self.password_hash = password_hash

    def fail_login(self, reason: str, country: str | None, at: dt.datetime) -> bool:
        """Records a failure; returns True when it locked the account."""
        self._fail(reason=reason, country=country, at=at)
        if self.failures < FAILURES_BEFORE_LOCKOUT:
            return False
        self._lock(
            until=at + lockout_duration(self.lockouts),
            failures=self.failures,
            country=country,
        )
        return True

    @event("LoginFailed")
    def _fail(self, reason: str, country: str | None, at: dt.datetime) -> None:
        self.failures += 1

    @event("LockedOut")
    def _lock(self, until: dt.datetime, failures: int, country: str | None) -> None:
        self.locked_until = until
        self.lockouts += 1
        self.failures = 0

    @event("LoggedIn")
    def log_in(
        self,
        session_id: UUID,
        token_hash: str,
        second_factor: bool,
        totp_step: int | None,
        country: str | None,
        client_address: PersonalData | None,
        at: dt.datetime,
        expires_at: dt.datetime,
    ) -> None:
        self.failures = 0
        self.lockouts = 0
        self.locked_until = None
        if totp_step is not None:
            self.last_totp_step = totp_step
        self.sessions = {
            key: until for key, until in self.sessions.items() if until > at
        }
        self.sessions[str(session_id)] = expires_at

    @event("SessionRevoked")
    def revoke_session(self, session_id: UUID, actor_id: UUID) -> None:
        self.sessions.pop(str(session_id), None)

    @event("ConcurrentCountriesFlagged")
    def flag_concurrent_countries(
        self, session_id: UUID, countries: list[str], other_session_ids: list[UUID]
    ) -> None:
        pass

    @event("TwoFactorEnrolmentStarted")
    def start_two_factor(self, secret: PersonalData) -> None:
        self.pending_totp_secret = secret

    @event("TwoFactorEnabled")
    def enable_two_factor(
        self, recovery_code_hashes: list[str], totp_step: int
    ) -> None:
        self.totp_secret = self.pending_totp_secret
        self.pending_totp_secret = None
        self.recovery_code_hashes = list(recovery_code_hashes)
        self.last_totp_step = totp_step

    @event("TwoFactorDisabled")
    def disable_two_factor(self, actor_id: UUID) -> None:
        self.totp_secret = None
        self.recovery_code_hashes = []

    @event("RecoveryCodeUsed")
    def use_recovery_code(self, code_hash: str) -> None:
        self.recovery_code_hashes.remove(code_hash)


class GovernancePolicy(_Identified):
    """One workspace's access policy; each change is recorded with its actor."""

    @event("Adopted")
    def __init__(
        self, aggregate_id: UUID, workspace_id: UUID, settings: dict[str, Any]
    ) -> None:
        self.workspace_id = workspace_id
        self.settings = dict(settings)

    @event("Changed")
    def change(
        self, workspace_id: UUID, settings: dict[str, Any], actor_id: UUID
    ) -> None:
        self.settings = dict(settings)

    @property
    def policy(self) -> AccessPolicy:
        return AccessPolicy.from_settings(self.settings)


class LegalBasisScope(enum.StrEnum):
    ACCOUNT = "account"  # a new user of the workspace
    ROLE = "role"  # a role granted to an existing user
    CASE = "case"  # a case assigned or forwarded to a user new to it


class LegalBasis(_Identified):
    """A confirmation that a user needs access to resolve support cases."""

    @event("Confirmed")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        grantor_id: UUID | None,
        grantee_id: UUID,
        scope: str,
        case_id: UUID | None,
        role: str | None,
        purpose: str,
        confirmed_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.grantee_id = grantee_id
        self.scope = LegalBasisScope(scope).value


class FirewallRefusal(_Identified):
    """A request refused by the EU/EEA firewall, in a stream of its own."""

    @event("RequestRefused")
    def __init__(
        self,
        aggregate_id: UUID,
        workspace_id: UUID,
        user_id: UUID | None,
        country: str | None,
        client_address: PersonalData | None,
        path: str,
        reason: str,
        refused_at: dt.datetime,
    ) -> None:
        self.workspace_id = workspace_id
