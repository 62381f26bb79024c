"""Access governance over HTTP on both stores: passwords, lockout, TOTP, sessions,
mandatory second factor, the EU/EEA firewall behind proxies, test-workspace
expiry, legal-basis confirmations and forced HTTPS.

Addresses are real registry allocations: 195.88.54.16 (NO), 193.0.6.139 and
2001:67c:2e8::1 (NL, RIPE NCC), 8.8.8.8 (US)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from application import cases
from application import workspaces as ws
from infrastructure.bootstrap import Container, build
from infrastructure.governance import AccessGovernance
from infrastructure.identifiers import FixedClock
from interface.api.app import create_app
from tests.builders import NEEDED, World, dialog, unique, world
from tests.conftest import make_settings

NORWAY = ("195.88.54.16", 50000)
USA = ("8.8.8.8", 50000)
PASSWORD = "Fjord-Lantern-73-Quill"
BASIS = {"confirmed": True, "purpose": "handles the parcel complaints inbox"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def gov(container: Container) -> AccessGovernance:
    governance: AccessGovernance = container.extras["governance"]
    return governance


@pytest.fixture
def w(container: Container) -> World:
    return world(container.context)


@pytest.fixture
def client(container: Container) -> TestClient:
    return TestClient(create_app(container), client=NORWAY)


@pytest.fixture
def proxied(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> Iterator[Container]:
    """A gdprkit behind a TLS-terminating proxy in 10.0.0.0/8, HTTPS forced."""
    settings = make_settings(
        tmp_path / "proxied",
        database_url,
        trusted_proxies="10.0.0.0/8, fd00::/8",
        force_https=True,
    )
    wired = build(settings, clock=clock, use_default_detector=False)
    yield wired
    wired.close()


def agent_with_password(container: Container, w: World) -> tuple[UUID, str]:
    email = unique("agent") + "@example.test"
    issued = ws.create_user(
        container.context,
        w.workspace_id,
        name="Agent",
        email=email,
        role="agent",
        created_by=w.admin.user_id,
        legal_basis=NEEDED,
    )
    gov(container).accounts.set_password(w.admin, issued.user_id, PASSWORD)
    return issued.user_id, email


def login(
    client: TestClient, w: World, email: str, password: str = PASSWORD, **extra: Any
) -> Any:
    body = {"workspace_id": str(w.workspace_id), "email": email, "password": password}
    return client.post("/v1/auth/login", json={**body, **extra})


def kinds(container: Container, w: World) -> list[str]:
    container.context.views.catch_up()
    return [e.kind for e in gov(container).views.security_events(w.workspace_id)]


def set_policy(client: TestClient, w: World, **changes: Any) -> Any:
    response = client.patch(
        f"/v1/workspaces/{w.workspace_id}/access-policy",
        json=changes,
        headers=bearer(w.admin_token),
    )
    assert response.status_code == 200, response.text
    return response.json()


# Passwords and sessions


def test_weak_first_password_is_422_naming_the_rule(
    client: TestClient, container: Container, w: World
) -> None:
    response = client.put(
        f"/v1/workspaces/{w.workspace_id}/users/{w.agent.user_id}/password",
        json={"new_password": "Password1!"},
        headers=bearer(w.admin_token),
    )

    assert response.status_code == 422
    assert "common or breached" in response.json()["detail"]


def test_login_gives_a_session_that_works_until_logout(
    client: TestClient, container: Container, w: World
) -> None:
    _, email = agent_with_password(container, w)

    session = login(client, w, email).json()["session_token"]
    listed = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(session)
    )
    logout = client.post("/v1/auth/logout", headers=bearer(session))
    after = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(session)
    )

    assert session.startswith("gks_")
    assert (listed.status_code, logout.status_code, after.status_code) == (
        200,
        204,
        401,
    )
    assert kinds(container, w)[-2:] == ["login.succeeded", "session.revoked"]


def test_session_expires_after_its_lifetime(
    client: TestClient, container: Container, w: World, clock: FixedClock
) -> None:
    _, email = agent_with_password(container, w)
    session = login(client, w, email).json()["session_token"]

    clock.advance(dt.timedelta(minutes=31))
    response = client.get("/v1/me", headers=bearer(session))

    assert response.status_code == 401


def test_session_token_and_password_are_never_stored_in_clear(
    client: TestClient, container: Container, w: World
) -> None:
    _, email = agent_with_password(container, w)
    session = login(client, w, email).json()["session_token"]

    with container.engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        tables = (present & {"stored_events", "gdprkit_events"}) | {
            "sessions",
            "accounts",
            "security_events",
        }
        dump = "\n".join(
            str(row)
            for table in sorted(tables)
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}").all()
        )

    assert session not in dump
    assert PASSWORD not in dump
    assert "$argon2id$" not in dump  # the hash itself is sealed


def test_brute_force_locks_the_account_with_backoff(
    client: TestClient, container: Container, w: World, clock: FixedClock
) -> None:
    _, email = agent_with_password(container, w)

    wrong = [login(client, w, email, f"Wrong-{n}-pass!").status_code for n in range(5)]
    right_while_locked = login(client, w, email)
    clock.advance(dt.timedelta(minutes=1, seconds=1))
    right_after = login(client, w, email)

    assert wrong == [401, 401, 401, 401, 429]
    assert right_while_locked.status_code == 429
    assert right_after.status_code == 200
    assert kinds(container, w).count("login.locked_out") == 1


def test_lockout_does_not_tell_whether_an_email_has_an_account(
    client: TestClient, container: Container, w: World
) -> None:
    _, email = agent_with_password(container, w)

    known = [login(client, w, email, f"Wrong-{n}-pass!").status_code for n in range(5)]
    unknown = [
        login(client, w, "nobody@example.test", f"Wrong-{n}-pass!").status_code
        for n in range(5)
    ]

    assert unknown == known == [401, 401, 401, 401, 429]


def test_unknown_email_and_wrong_password_look_the_same(
    client: TestClient, container: Container, w: World
) -> None:
    _, email = agent_with_password(container, w)

    unknown = login(client, w, "nobody@example.test")
    wrong = login(client, w, email, "Not-The-Pass-42!")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


# Second factor


def enrol(
    client: TestClient, container: Container, token: str
) -> tuple[str, list[str]]:
    clock = container.context.clock
    secret = client.post("/v1/me/second-factor", headers=bearer(token)).json()["secret"]
    code = pyotp.TOTP(secret).at(clock.now())
    confirmed = client.post(
        "/v1/me/second-factor/confirm", json={"code": code}, headers=bearer(token)
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def test_totp_login_refuses_missing_wrong_and_replayed_codes(
    client: TestClient, container: Container, w: World, clock: FixedClock
) -> None:
    _, email = agent_with_password(container, w)
    token = login(client, w, email).json()["session_token"]
    secret, _ = enrol(client, container, token)
    clock.advance(dt.timedelta(seconds=30))
    code = pyotp.TOTP(secret).at(clock.now())

    missing = login(client, w, email)
    guessed = login(client, w, email, code=f"{(int(code) + 1) % 10**6:06d}")
    right = login(client, w, email, code=code)
    replayed = login(client, w, email, code=code)

    assert missing.status_code == 401
    assert missing.json()["title"] == "Second factor needed"
    assert (guessed.status_code, right.status_code, replayed.status_code) == (
        401,
        200,
        401,
    )
    assert right.json()["second_factor"] is True
    assert "second_factor.enabled" in kinds(container, w)


def test_totp_guesses_lock_the_account(
    client: TestClient, container: Container, w: World, clock: FixedClock
) -> None:
    _, email = agent_with_password(container, w)
    token = login(client, w, email).json()["session_token"]
    enrol(client, container, token)

    guesses = [login(client, w, email, code=f"{n:06d}").status_code for n in range(5)]

    assert guesses[-1] == 429


def test_recovery_code_works_once(
    client: TestClient, container: Container, w: World
) -> None:
    _, email = agent_with_password(container, w)
    token = login(client, w, email).json()["session_token"]
    _, codes = enrol(client, container, token)

    first = login(client, w, email, code=codes[0])
    again = login(client, w, email, code=codes[0])

    assert (first.status_code, again.status_code) == (200, 401)


def test_mandatory_second_factor_binds_api_tokens_and_administrators(
    client: TestClient, container: Container, w: World
) -> None:
    set_policy(client, w, require_second_factor=True)

    agent = client.get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(w.agent_token)
    )
    admin = client.get(
        f"/v1/workspaces/{w.workspace_id}/access-policy", headers=bearer(w.admin_token)
    )
    enrolment = client.post("/v1/me/second-factor", headers=bearer(w.agent_token))
    enrol(client, container, w.admin_token)
    admin_enrolled = client.get(
        f"/v1/workspaces/{w.workspace_id}/access-policy", headers=bearer(w.admin_token)
    )

    assert (agent.status_code, admin.status_code) == (403, 403)
    assert agent.json()["title"] == "Second factor required"
    assert enrolment.status_code == 200
    assert admin_enrolled.status_code == 200


# Concurrent sessions


def test_sessions_from_two_countries_are_flagged_to_administrators(
    container: Container, w: World
) -> None:
    app = create_app(container)
    _, email = agent_with_password(container, w)
    login(TestClient(app, client=NORWAY), w, email)

    login(TestClient(app, client=("193.0.6.139", 1)), w, email)
    flagged = TestClient(app).get(
        f"/v1/workspaces/{w.workspace_id}/security-events",
        params={"kind": "sessions.concurrent_countries"},
        headers=bearer(w.admin_token),
    )

    assert flagged.status_code == 200
    assert [e["detail"] for e in flagged.json()] == ["live sessions from NL, NO"]


# EU/EEA firewall


def test_firewall_refuses_a_us_address_and_records_the_country(
    container: Container, w: World
) -> None:
    app = create_app(container)
    set_policy(TestClient(app, client=NORWAY), w, firewall_enabled=True)

    from_us = TestClient(app, client=USA).get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(w.agent_token)
    )
    from_nl_v6 = TestClient(app, client=("2001:67c:2e8::1", 1)).get(
        f"/v1/workspaces/{w.workspace_id}/cases", headers=bearer(w.agent_token)
    )
    container.context.views.catch_up()
    refused = gov(container).views.security_events(w.workspace_id, "request.refused")

    assert from_us.status_code == 403
    assert from_us.json()["title"] == "Outside the allowed region"
    assert from_nl_v6.status_code == 200
    assert [(e.country, e.user_id) for e in refused] == [("US", w.agent.user_id)]


def test_firewall_maps_ipv4_mapped_ipv6_to_its_country(
    container: Container, w: World
) -> None:
    app = create_app(container)
    set_policy(TestClient(app, client=NORWAY), w, firewall_enabled=True)

    response = TestClient(app, client=("::ffff:8.8.8.8", 1)).get(
        "/v1/me", headers=bearer(w.agent_token)
    )

    assert response.status_code == 403
    assert "US" in response.json()["detail"]


def test_allow_list_lets_a_country_through(container: Container, w: World) -> None:
    app = create_app(container)
    set_policy(
        TestClient(app, client=NORWAY),
        w,
        firewall_enabled=True,
        allowed_countries=["us"],
    )

    response = TestClient(app, client=USA).get("/v1/me", headers=bearer(w.agent_token))

    assert response.status_code == 200


def test_login_from_outside_is_refused_before_the_password_is_checked(
    container: Container, w: World
) -> None:
    app = create_app(container)
    _, email = agent_with_password(container, w)
    set_policy(TestClient(app, client=NORWAY), w, firewall_enabled=True)

    response = login(TestClient(app, client=USA), w, email)

    assert response.status_code == 403
    assert "login.failed" not in kinds(container, w)
    assert "request.refused" in kinds(container, w)


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    container: Container, w: World
) -> None:
    app = create_app(container)
    set_policy(TestClient(app, client=NORWAY), w, firewall_enabled=True)

    response = TestClient(app, client=USA).get(
        "/v1/me",
        headers={**bearer(w.agent_token), "X-Forwarded-For": "195.88.54.16"},
    )

    assert response.status_code == 403


def test_forwarded_for_from_a_trusted_proxy_decides_the_country(
    proxied: Container,
) -> None:
    w = world(proxied.context)
    app = create_app(proxied)
    behind_proxy = TestClient(
        app, base_url="https://testserver", client=("10.0.0.2", 1)
    )
    set_policy(behind_proxy, w, firewall_enabled=True)

    from_us = behind_proxy.get(
        "/v1/me", headers={**bearer(w.agent_token), "X-Forwarded-For": "8.8.8.8"}
    )
    from_no = behind_proxy.get(
        "/v1/me", headers={**bearer(w.agent_token), "X-Forwarded-For": "195.88.54.16"}
    )
    malformed = behind_proxy.get(
        "/v1/me", headers={**bearer(w.agent_token), "X-Forwarded-For": "not-an-ip"}
    )

    assert (from_us.status_code, from_no.status_code, malformed.status_code) == (
        403,
        200,
        403,
    )
    assert from_no.json()["country"] == "NO"


def test_case_read_records_the_clients_country(
    client: TestClient, container: Container, w: World
) -> None:
    ctx = container.context
    result = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())

    client.get(
        f"/v1/workspaces/{w.workspace_id}/cases/{result.case_id}",
        headers=bearer(w.agent_token),
    )
    entries = client.get(
        f"/v1/workspaces/{w.workspace_id}/access-log", headers=bearer(w.auditor_token)
    ).json()["entries"]

    assert [(e["action"], e["country"]) for e in entries] == [("case.read", "NO")]


def test_policy_of_another_workspace_is_not_found(
    client: TestClient, container: Container, w: World
) -> None:
    other = world(container.context)

    response = client.patch(
        f"/v1/workspaces/{other.workspace_id}/access-policy",
        json={"firewall_enabled": True},
        headers=bearer(w.admin_token),
    )

    assert response.status_code == 404


# Test workspaces


def test_expired_test_workspace_refuses_logins_and_api_calls(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    workspace_id = ws.create_workspace(ctx, unique("Trial "), is_test=True)
    issued = ws.create_user(
        ctx,
        workspace_id,
        name="Admin",
        email="t@example.test",
        role="administrator",
        created_by=None,
    )
    clock.advance(dt.timedelta(days=30))

    call = client.get(
        f"/v1/workspaces/{workspace_id}/inboxes", headers=bearer(issued.token)
    )
    attempt = client.post(
        "/v1/auth/login",
        json={
            "workspace_id": str(workspace_id),
            "email": "t@example.test",
            "password": PASSWORD,
        },
    )

    assert (call.status_code, attempt.status_code) == (403, 403)
    assert call.json()["title"] == "Workspace expired"


# Legal basis


def test_assigning_to_a_user_new_to_the_case_needs_a_legal_basis(
    client: TestClient, container: Container, w: World
) -> None:
    ctx = container.context
    case_id = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog()).case_id
    url = f"/v1/workspaces/{w.workspace_id}/cases/{case_id}/assign"
    body = {"assignee_id": str(w.agent.user_id)}

    refused = client.post(url, json=body, headers=bearer(w.admin_token))
    granted = client.post(
        url, json={**body, "legal_basis": BASIS}, headers=bearer(w.admin_token)
    )
    again = client.post(url, json=body, headers=bearer(w.admin_token))
    ledger = client.get(
        f"/v1/workspaces/{w.workspace_id}/legal-basis", headers=bearer(w.auditor_token)
    ).json()

    assert refused.status_code == 422
    assert refused.json()["title"] == "Legal basis required"
    assert (granted.status_code, again.status_code) == (204, 204)
    assert [(e["scope"], e["grantee_id"], e["purpose"]) for e in ledger[-1:]] == [
        ("case", str(w.agent.user_id), BASIS["purpose"])
    ]


def test_forwarding_to_a_user_new_to_the_case_without_basis_writes_nothing(
    client: TestClient, container: Container, w: World
) -> None:
    ctx = container.context
    case_id = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog()).case_id
    before = ctx.store.recorder.max_notification_id()

    response = client.post(
        f"/v1/workspaces/{w.workspace_id}/cases/{case_id}/forward",
        json={"recipient_id": str(w.admin.user_id)},
        headers=bearer(w.agent_token),
    )

    assert response.status_code == 422
    assert ctx.store.recorder.max_notification_id() == before


def test_creating_a_user_and_granting_a_role_need_a_legal_basis(
    client: TestClient, container: Container, w: World
) -> None:
    base = f"/v1/workspaces/{w.workspace_id}/users"
    person = {"name": "Ola", "email": "ola@example.test", "role": "agent"}

    refused = client.post(base, json=person, headers=bearer(w.admin_token))
    created = client.post(
        base, json={**person, "legal_basis": BASIS}, headers=bearer(w.admin_token)
    )
    user_id = created.json()["user_id"]
    role_refused = client.put(
        f"{base}/{user_id}/role",
        json={"role": "auditor"},
        headers=bearer(w.admin_token),
    )
    role_granted = client.put(
        f"{base}/{user_id}/role",
        json={"role": "auditor", "legal_basis": BASIS},
        headers=bearer(w.admin_token),
    )

    assert (refused.status_code, created.status_code) == (422, 201)
    assert (role_refused.status_code, role_granted.status_code) == (422, 204)
    assert container.context.views.user(UUID(user_id)).role == "auditor"  # type: ignore[union-attr]


def test_agents_cannot_read_the_ledger(client: TestClient, w: World) -> None:
    response = client.get(
        f"/v1/workspaces/{w.workspace_id}/legal-basis", headers=bearer(w.agent_token)
    )

    assert response.status_code == 403


# Forced HTTPS


def test_plain_http_is_redirected_and_https_answers_carry_hsts(
    proxied: Container,
) -> None:
    w = world(proxied.context)
    app = create_app(proxied)
    plain = TestClient(app, follow_redirects=False, client=NORWAY)
    secure = TestClient(app, base_url="https://testserver", client=NORWAY)

    redirected = plain.get("/v1/me?x=1", headers=bearer(w.agent_token))
    spoofed_proto = plain.get(
        "/v1/me", headers={**bearer(w.agent_token), "X-Forwarded-Proto": "https"}
    )
    answered = secure.get("/v1/me", headers=bearer(w.agent_token))

    assert redirected.status_code == 308
    assert redirected.headers["location"] == "https://testserver/v1/me?x=1"
    assert spoofed_proto.status_code == 308  # the peer is not a trusted proxy
    assert answered.status_code == 200
    assert answered.headers["strict-transport-security"].startswith("max-age=")


def test_session_cookie_is_secure_httponly_and_samesite(proxied: Container) -> None:
    w = world(proxied.context)
    _, email = agent_with_password(proxied, w)
    secure = TestClient(
        create_app(proxied), base_url="https://testserver", client=NORWAY
    )

    response = login(secure, w, email)
    cookie = response.headers["set-cookie"].lower()

    assert response.status_code == 200
    assert {"secure", "httponly", "samesite=strict"} <= {
        part.strip() for part in cookie.split(";")
    }
