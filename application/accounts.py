"""Sign-in: passwords under a policy, TOTP second factor with recovery codes,
short-lived revocable sessions, lockout with backoff.

Every login, failure, lockout, session revocation and second-factor change is an
event on the user's `Account`. Passwords are hashed with Argon2id and the hash is
sealed under the user's key; the TOTP secret is sealed too; session tokens and
recovery codes are kept as SHA-256 digests only (they are random and long).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import NoReturn
from uuid import UUID, uuid4

import pyotp

from application import workspaces as ws
from application.errors import (
    ApplicationError,
    ForbiddenError,
    InvalidInputError,
    UnauthenticatedError,
)
from application.governance import (
    SESSION_PREFIX,
    AccessGuard,
    Client,
    refuse_policy_conflict,
)
from application.governance_ports import PasswordHasher
from application.ports import UserRecord
from domain.accounts import (
    FAILURES_BEFORE_LOCKOUT,
    Account,
    AccountLockedError,
    ReplayedCodeError,
    account_id_for,
    lockout_duration,
    password_problems,
)
from domain.model import Role, User, log_period_owner
from domain.personal_data import PersonalData

RECOVERY_CODES = 10
TOTP_WINDOW_STEPS = 1  # one 30-second step either side, for clock drift
BAD_CREDENTIALS = "wrong e-mail address, password or code"


class LockedOutError(ApplicationError):
    status = 429
    title = "Too many attempts"

    def __init__(self, user_id: UUID, until: dt.datetime) -> None:
        self.user_id = user_id
        self.until = until
        super().__init__(
            f"too many failed attempts: sign-in is locked until {until:%H:%M:%S} "
            "UTC; each further lockout lasts twice as long"
        )


class CodeNeededError(UnauthenticatedError):
    title = "Second factor needed"

    def __init__(self) -> None:
        super().__init__("the password is right: send the code from your app too")


@dataclass(frozen=True)
class IssuedSession:
    session_id: UUID
    token: str  # shown once, stored only as its hash
    expires_at: dt.datetime
    second_factor: bool


@dataclass(frozen=True)
class Enrolment:
    secret: str  # shown once, for apps that cannot scan the URI
    provisioning_uri: str


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# Stands for "no account" in a lockout of an unknown address.
_NO_ACCOUNT = UUID(int=0)


@dataclass
class _Tally:
    failures: int = 0
    lockouts: int = 0
    locked_until: dt.datetime | None = None


class Accounts:
    """Passwords, second factors and sessions of the users of every workspace."""

    def __init__(
        self,
        guard: AccessGuard,
        hasher: PasswordHasher,
        common_passwords: Collection[str],
        session_minutes: int = 30,
    ) -> None:
        self.guard = guard
        self.ctx = guard.ctx
        self.hasher = hasher
        self.common_passwords = common_passwords
        self.session_lifetime = dt.timedelta(minutes=session_minutes)
        # Spent on unknown e-mail addresses so they take as long as known ones.
        self._decoy_hash = hasher.hash(secrets.token_urlsafe(16))
        # Unknown addresses are locked out like accounts, so a 429 never tells
        # that an address has an account. Per process and not an event: there
        # is no account to record it on.
        self._unknown_attempts: dict[str, _Tally] = {}

    # Passwords

    def check_password(self, password: str) -> None:
        problems = password_problems(password, self.common_passwords)
        if problems:
            raise InvalidInputError(
                "the password needs " + ", ".join(problems) + "; choose another"
            )

    def set_password(
        self,
        actor: UserRecord,
        user_id: UUID,
        new_password: str,
        current_password: str | None = None,
    ) -> None:
        """Sets a password: one's own (the current one is needed once there is
        one), or, by an administrator, another user's first password only."""
        ws.require_user(self.ctx, actor.workspace_id, user_id)
        account = self._load_or_register(user_id)
        if actor.user_id == user_id:
            if account.password_hash is not None and not self._password_matches(
                account, current_password or ""
            ):
                raise ForbiddenError("the current password is wrong")
        elif actor.role != Role.ADMINISTRATOR or account.password_hash is not None:
            raise ForbiddenError(
                "administrators set only a user's first password; users change "
                "their own"
            )
        self.check_password(new_password)
        account.set_password(
            password_hash=PersonalData(
                user_id, "password_hash", self.hasher.hash(new_password)
            ),
            actor_id=actor.user_id,
        )
        self.ctx.save(account)

    def _password_matches(self, account: Account, password: str) -> bool:
        stored = account.password_hash
        if stored is None or stored.is_erased:
            self.hasher.verify(self._decoy_hash, password)
            return False
        return self.hasher.verify(stored.text(), password)

    # Login

    def login(
        self,
        workspace_id: UUID,
        email: str,
        password: str,
        code: str | None,
        client: Client,
        path: str = "/v1/auth/login",
    ) -> IssuedSession:
        """A session for a right password (and code, once enrolled).

        Errors: 401 for any wrong credential (which one is not said), 401 asking
        for the code when only it is missing, 429 while locked out, 403 for an
        expired test workspace or an address the firewall refuses. Failures and
        lockouts are recorded before the error is returned.
        """
        workspace = self.ctx.views.workspace(workspace_id)
        if workspace is None:
            self.hasher.verify(self._decoy_hash, password)
            raise UnauthenticatedError(BAD_CREDENTIALS)
        policy = self.guard.policy(workspace_id)
        self.guard.refuse_if_expired(workspace, policy)
        self.guard.refuse_outside_region(policy, workspace_id, None, client, path)
        user_id = self.guard.views.account_user(workspace_id, self._digest(email))
        user = None if user_id is None else self.ctx.views.user(user_id)
        if user_id is None or user is None or not user.active:
            self.hasher.verify(self._decoy_hash, password)
            self._refuse_unknown(self._digest(email), self.ctx.clock.now())
        account: Account = self.ctx.store.get(account_id_for(user_id))
        now = self.ctx.clock.now()
        if account.is_locked(now):
            self._refuse(account, "attempt while locked out", client, now)
        if not self._password_matches(account, password):
            self._refuse(account, "wrong password", client, now)
        totp_step = None
        if account.second_factor_enabled:
            if not code:
                raise CodeNeededError
            totp_step = self._verify_second_factor(account, code, client, now)
        session = self._open_session(account, user, totp_step, client, now)
        return session

    def _verify_second_factor(
        self, account: Account, code: str, client: Client, now: dt.datetime
    ) -> int | None:
        compact = code.strip().replace(" ", "")
        if "-" in compact:
            digest = hash_secret(compact.lower())
            if digest not in account.recovery_code_hashes:
                self._refuse(account, "wrong recovery code", client, now)
            account.use_recovery_code(code_hash=digest)
            return None
        secret = account.totp_secret
        step = None if secret is None else _matching_step(secret.text(), compact, now)
        if step is None:
            self._refuse(account, "wrong code", client, now)
            raise AssertionError("unreachable")  # _refuse always raises
        try:
            account.refuse_replayed_step(step)
        except ReplayedCodeError:
            self._refuse(account, "replayed code", client, now)
        return step

    def _refuse_unknown(self, digest: str, now: dt.datetime) -> NoReturn:
        """Answers an unknown address exactly as an account's failures are
        answered: 401, and 429 from the fifth failure with the same backoff."""
        tally = self._unknown_attempts.setdefault(digest, _Tally())
        tally.failures += 1
        if tally.failures >= FAILURES_BEFORE_LOCKOUT:
            tally.locked_until = now + lockout_duration(tally.lockouts)
            tally.lockouts += 1
            tally.failures = 0
        if tally.locked_until is not None and now < tally.locked_until:
            raise LockedOutError(_NO_ACCOUNT, tally.locked_until)
        raise UnauthenticatedError(BAD_CREDENTIALS)

    def _refuse(
        self, account: Account, reason: str, client: Client, now: dt.datetime
    ) -> None:
        """Records the failure (and a lockout it causes), then raises."""
        locked = account.fail_login(reason=reason, country=client.country, at=now)
        self.ctx.save(account)
        if account.locked_until is not None and (locked or account.is_locked(now)):
            raise LockedOutError(account.user_id, account.locked_until)
        raise UnauthenticatedError(BAD_CREDENTIALS)

    def _open_session(
        self,
        account: Account,
        user: UserRecord,
        totp_step: int | None,
        client: Client,
        now: dt.datetime,
    ) -> IssuedSession:
        session_id = uuid4()
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + self.session_lifetime
        second_factor = account.second_factor_enabled
        others = self.guard.views.live_sessions(user.user_id, now)
        account.log_in(
            session_id=session_id,
            token_hash=ws.hash_token(token),
            second_factor=second_factor,
            totp_step=totp_step,
            country=client.country,
            client_address=None
            if client.address is None
            else PersonalData(
                log_period_owner(user.workspace_id, now),
                "client_address",
                client.address[:100],
            ),
            at=now,
            expires_at=expires_at,
        )
        elsewhere = sorted(
            {
                country
                for _, country in others
                if country and client.country and country != client.country
            }
        )
        if elsewhere:
            account.flag_concurrent_countries(
                session_id=session_id,
                countries=[client.country or "", *elsewhere],
                other_session_ids=[sid for sid, country in others if country],
            )
        self.ctx.save(account)
        return IssuedSession(session_id, token, expires_at, second_factor)

    # Sessions

    def revoke_session(self, actor: UserRecord, session_id: UUID) -> None:
        account: Account = self.ctx.store.get(account_id_for(actor.user_id))
        account.revoke_session(session_id=session_id, actor_id=actor.user_id)
        self.ctx.save(account)

    def revoke_all_sessions(self, actor: UserRecord, user_id: UUID) -> int:
        """Ends every live session of a user (the user, or an administrator)."""
        if actor.user_id != user_id:
            ws.require_role(actor, Role.ADMINISTRATOR)
        ws.require_user(self.ctx, actor.workspace_id, user_id)
        account_id = account_id_for(user_id)
        if account_id not in self.ctx.store.repository:
            return 0
        account: Account = self.ctx.store.get(account_id)
        live = list(account.sessions)
        for session_id in live:
            account.revoke_session(session_id=UUID(session_id), actor_id=actor.user_id)
        if live:
            self.ctx.save(account)
        return len(live)

    # Second factor

    def start_enrolment(self, actor: UserRecord) -> Enrolment:
        account = self._load_or_register(actor.user_id)
        secret = pyotp.random_base32()
        account.start_two_factor(
            secret=PersonalData(actor.user_id, "totp_secret", secret)
        )
        self.ctx.save(account)
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=str(actor.user_id), issuer_name="gdprkit"
        )
        return Enrolment(secret, uri)

    def confirm_enrolment(self, actor: UserRecord, code: str) -> list[str]:
        """Turns the second factor on when the code matches the pending secret;
        returns the recovery codes, shown only this once."""
        account = self._load_or_register(actor.user_id)
        pending = account.pending_totp_secret
        now = self.ctx.clock.now()
        step = (
            None
            if pending is None
            else _matching_step(pending.text(), code.strip().replace(" ", ""), now)
        )
        if step is None:
            raise InvalidInputError(
                "the code does not match: start enrolment first, and check the "
                "device's clock"
            )
        codes = [
            f"{secrets.token_hex(4)}-{secrets.token_hex(4)}"
            for _ in range(RECOVERY_CODES)
        ]
        account.enable_two_factor(
            recovery_code_hashes=[hash_secret(c) for c in codes], totp_step=step
        )
        self.ctx.save(account)
        return codes

    def disable_second_factor(self, actor: UserRecord, code: str) -> None:
        refuse_policy_conflict(self.guard.policy(actor.workspace_id))
        account = self._load_or_register(actor.user_id)
        secret = account.totp_secret
        now = self.ctx.clock.now()
        step = None if secret is None else _matching_step(secret.text(), code, now)
        if step is None:
            raise ForbiddenError("a current code from the app is needed")
        account.disable_two_factor(actor_id=actor.user_id)
        self.ctx.save(account)

    # Helpers

    def _digest(self, email: str) -> str:
        return self.ctx.hasher.digest("account", email.strip().casefold())

    def _load_or_register(self, user_id: UUID) -> Account:
        account_id = account_id_for(user_id)
        if account_id in self.ctx.store.repository:
            account: Account = self.ctx.store.get(account_id)
            return account
        user: User = self.ctx.store.get(user_id)
        return Account(
            aggregate_id=account_id,
            user_id=user_id,
            workspace_id=user.workspace_id,
            email_digest=PersonalData(
                user_id, "email_digest", self._digest(user.email.text())
            ),
        )


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The 30-second step whose code this is, within the drift window."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


__all__ = [
    "AccountLockedError",
    "Accounts",
    "CodeNeededError",
    "Enrolment",
    "IssuedSession",
    "LockedOutError",
]
