"""Channel webhooks on both stores: each platform's handshake and signature,
real payload shapes from the shared corpora, idempotent redelivery, and every
refusal leaving nothing written."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from application import cases
from application import workspaces as ws
from application.integrations import IntegrationServices, configure_channel
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from infrastructure.webhooks.signing import sign_timestamped
from infrastructure.webhooks.x import crc_response
from tests.builders import World, unique, world

SECRET = "app-secret-0123456789abcdef"
TOKEN = "verify-token-4711"
MESSENGER = "social/facebook_messenger_webhooks/messenger_webhook_payloads.json"
X_DM = "social/twitter_x/zammad_webhooks/webhook1_direct_message.json"
CHANNEL_OF = {
    "messenger": "facebook",
    "instagram": "instagram",
    "x": "twitter",
    "youtube": "youtube",
    "generic": "chat",
    "email": "email",
}


def messenger_payloads(shared_data: Path) -> list[dict[str, Any]]:
    records = json.loads((shared_data / MESSENGER).read_text())
    return [record["payload"] for record in records]


def first_text_payload(shared_data: Path) -> dict[str, Any]:
    return next(
        p
        for p in messenger_payloads(shared_data)
        if "text" in p["entry"][0]["messaging"][0].get("message", {})
        and not p["entry"][0]["messaging"][0]["message"].get("is_echo")
    )


def x_payload(shared_data: Path) -> dict[str, Any]:
    params: dict[str, Any] = json.loads((shared_data / X_DM).read_text())["params"]
    return params


def youtube_payload(channel_id: str, author: str) -> dict[str, Any]:
    return {
        "kind": "youtube#commentThreadListResponse",
        "items": [
            {
                "kind": "youtube#commentThread",
                "id": unique("Ugx-thread-"),
                "snippet": {
                    "channelId": channel_id,
                    "videoId": "dQw4w9WgXcQ",
                    "topLevelComment": {
                        "kind": "youtube#comment",
                        "id": unique("Ugx-c-"),
                        "snippet": {
                            "authorDisplayName": "Kari Nordmann",
                            "authorChannelId": {"value": author},
                            "textOriginal": "My order never arrived",
                            "publishedAt": "2026-11-01T10:00:00Z",
                        },
                    },
                },
                "replies": {
                    "comments": [
                        {
                            "kind": "youtube#comment",
                            "id": unique("Ugx-r-"),
                            "snippet": {
                                "authorDisplayName": "Shop support",
                                "authorChannelId": {"value": channel_id},
                                "textOriginal": "Sorry! Send us a DM.",
                                "parentId": "x",
                                "publishedAt": "2026-11-01T11:00:00Z",
                            },
                        }
                    ]
                },
            }
        ],
    }


def generic_payload(thread: str, message_id: str, text: str) -> dict[str, Any]:
    return {
        "messages": [
            {
                "id": message_id,
                "thread": thread,
                "text": text,
                "sent_at": "2026-11-02T08:59:00Z",
                "author": {"name": "Kari Nordmann", "email": "kari@example.test"},
            }
        ]
    }


def raw_mail(message_id: str, body: str = "Where is my parcel?") -> bytes:
    return (
        "From: Kari Nordmann <kari@example.test>\r\n"
        "To: support@shop.example\r\n"
        "Subject: Parcel\r\n"
        f"Message-ID: <{message_id}@example.test>\r\n"
        "Date: Mon, 02 Nov 2026 08:58:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def meta_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def x_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()
    }


def signed(platform: str, body: bytes, at: dt.datetime) -> dict[str, str]:
    if platform in ("messenger", "instagram"):
        return meta_headers(body)
    if platform == "x":
        return x_headers(body)
    return sign_timestamped(SECRET, body, at)


def connect(
    container: Container,
    integ: IntegrationServices,
    platform: str,
    account_id: str = "",
) -> tuple[World, UUID]:
    ctx = container.context
    w = world(ctx)
    inbox_id = ws.create_inbox(ctx, w.workspace_id, unique("In "), CHANNEL_OF[platform])
    configure_channel(
        ctx,
        integ,
        w.admin,
        inbox_id,
        platform=platform,
        account_id=account_id,
        app_secret=SECRET,
        verify_token=TOKEN,
    )
    return w, inbox_id


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def case_count(container: Container, w: World) -> int:
    return len(container.context.views.cases(w.workspace_id))


# Handshakes


def test_meta_handshake_with_right_token_echoes_challenge(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    _, inbox_id = connect(container, integ, "messenger", "PAGE_ID")

    answer = api.get(
        f"/v1/webhooks/messenger/{inbox_id}",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": TOKEN,
            "hub.challenge": "1158201444",
        },
    )

    assert answer.status_code == 200
    assert answer.text == "1158201444"


def test_meta_handshake_with_wrong_token_is_refused(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    _, inbox_id = connect(container, integ, "instagram", "17841400000000000")

    answer = api.get(
        f"/v1/webhooks/instagram/{inbox_id}",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "guess",
            "hub.challenge": "1",
        },
    )

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_x_crc_answers_base64_hmac_of_the_token(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    _, inbox_id = connect(container, integ, "x", "123")

    answer = api.get(f"/v1/webhooks/x/{inbox_id}", params={"crc_token": "abc123"})

    expected = base64.b64encode(
        hmac.new(SECRET.encode(), b"abc123", hashlib.sha256).digest()
    ).decode()
    assert answer.json() == {"response_token": f"sha256={expected}"}
    assert crc_response(SECRET, "abc123") == f"sha256={expected}"


# Deliveries from the corpora's real payload shapes


def test_messenger_corpus_message_becomes_a_case_once(
    container: Container, integ: IntegrationServices, api: TestClient, shared_data: Path
) -> None:
    payload = first_text_payload(shared_data)
    w, inbox_id = connect(container, integ, "messenger", payload["entry"][0]["id"])
    body = body_of(payload)

    first = api.post(
        f"/v1/webhooks/messenger/{inbox_id}", content=body, headers=meta_headers(body)
    )
    again = api.post(
        f"/v1/webhooks/messenger/{inbox_id}", content=body, headers=meta_headers(body)
    )

    assert first.status_code == 200
    assert first.json()["messages_added"] == 1
    assert again.json()["messages_added"] == 0
    view = cases.open_case(
        container.context,
        UUID(first.json()["case_ids"][0]),
        cases.ReadContext(w.agent, "test"),
    )
    assert [m.body for m in view.messages] == [
        payload["entry"][0]["messaging"][0]["message"]["text"]
    ]
    assert view.channel == "facebook"


def test_messenger_corpus_payloads_without_messages_are_ignored_not_refused(
    container: Container, integ: IntegrationServices, api: TestClient, shared_data: Path
) -> None:
    quiet = [
        p
        for p in messenger_payloads(shared_data)
        if all("message" not in m for m in p["entry"][0]["messaging"])
    ]
    answers = []
    for payload in quiet:
        _, inbox_id = connect(container, integ, "messenger", payload["entry"][0]["id"])
        body = body_of(payload)
        answers.append(
            api.post(
                f"/v1/webhooks/messenger/{inbox_id}",
                content=body,
                headers=meta_headers(body),
            ).json()
        )

    assert len(quiet) >= 5
    assert {a["messages_added"] for a in answers} == {0}
    assert all(a["ignored"] >= 1 for a in answers)


def test_messenger_attachments_are_kept_as_links_without_fetching(
    container: Container, integ: IntegrationServices, api: TestClient, shared_data: Path
) -> None:
    payload = next(
        p
        for p in messenger_payloads(shared_data)
        if "attachments" in p["entry"][0]["messaging"][0].get("message", {})
    )
    w, inbox_id = connect(container, integ, "messenger", payload["entry"][0]["id"])
    body = body_of(payload)

    answer = api.post(
        f"/v1/webhooks/messenger/{inbox_id}", content=body, headers=meta_headers(body)
    )

    case_id = UUID(answer.json()["case_ids"][0])
    view = cases.open_case(container.context, case_id, cases.ReadContext(w.agent, "t"))
    kind = payload["entry"][0]["messaging"][0]["message"]["attachments"][0]["type"]
    assert view.messages[0].body.startswith(f"[{kind}")


def test_messenger_echo_joins_the_customer_thread_as_outbound(
    container: Container, integ: IntegrationServices, api: TestClient, shared_data: Path
) -> None:
    payload = first_text_payload(shared_data)
    page = payload["entry"][0]["id"]
    w, inbox_id = connect(container, integ, "messenger", page)
    echo = copy.deepcopy(payload)
    item = echo["entry"][0]["messaging"][0]
    item["sender"], item["recipient"] = item["recipient"], item["sender"]
    item["message"] = {"mid": "m_echo_1", "text": "We are on it", "is_echo": True}
    bodies = [body_of(payload), body_of(echo)]

    answers = [
        api.post(
            f"/v1/webhooks/messenger/{inbox_id}", content=b, headers=meta_headers(b)
        ).json()
        for b in bodies
    ]

    assert answers[0]["case_ids"] == answers[1]["case_ids"]
    view = cases.open_case(
        container.context,
        UUID(answers[0]["case_ids"][0]),
        cases.ReadContext(w.agent, "t"),
    )
    assert [m.direction for m in view.messages] == ["inbound", "outbound"]


def test_instagram_delivery_lands_in_an_instagram_case(
    container: Container, integ: IntegrationServices, api: TestClient, shared_data: Path
) -> None:
    payload = copy.deepcopy(first_text_payload(shared_data))
    payload["object"] = "instagram"
    _, inbox_id = connect(container, integ, "instagram", payload["entry"][0]["id"])
    body = body_of(payload)

    answer = api.post(
        f"/v1/webhooks/instagram/{inbox_id}", content=body, headers=meta_headers(body)
    )

    summary = container.context.views.case_summary(UUID(answer.json()["case_ids"][0]))
    assert summary is not None
    assert summary.channel == "instagram"


def test_x_corpus_direct_message_from_the_account_is_outbound_to_the_customer(
    container: Container, integ: IntegrationServices, api: TestClient, shared_data: Path
) -> None:
    payload = x_payload(shared_data)
    w, inbox_id = connect(container, integ, "x", payload["for_user_id"])
    body = body_of(payload)

    answer = api.post(
        f"/v1/webhooks/x/{inbox_id}", content=body, headers=x_headers(body)
    )

    case_id = UUID(answer.json()["case_ids"][0])
    view = cases.open_case(container.context, case_id, cases.ReadContext(w.agent, "t"))
    customer = payload["users"][
        payload["direct_message_events"][0]["message_create"]["target"]["recipient_id"]
    ]
    assert [m.direction for m in view.messages] == ["outbound"]
    assert view.profile["name"] == customer["name"]
    digest = container.context.hasher.digest("twitter", customer["screen_name"])
    assert (
        container.context.views.subject_by_digest(w.workspace_id, digest)
        == view.subject_id
    )


def test_youtube_thread_becomes_one_case_with_the_channel_reply_outbound(
    container: Container, integ: IntegrationServices, api: TestClient, clock: FixedClock
) -> None:
    w, inbox_id = connect(container, integ, "youtube", "UCshop")
    body = body_of(youtube_payload("UCshop", "UCkari"))

    answer = api.post(
        f"/v1/webhooks/youtube/{inbox_id}",
        content=body,
        headers=sign_timestamped(SECRET, body, clock.now()),
    )

    case_id = UUID(answer.json()["case_ids"][0])
    view = cases.open_case(container.context, case_id, cases.ReadContext(w.agent, "t"))
    assert [m.direction for m in view.messages] == ["inbound", "outbound"]


def test_generic_delivery_is_ingested_and_flagged_when_sensitive(
    container: Container, integ: IntegrationServices, api: TestClient, clock: FixedClock
) -> None:
    from infrastructure.detection import RuleBasedDetector

    container.context.detector = RuleBasedDetector()
    _, inbox_id = connect(container, integ, "generic")
    body = body_of(
        generic_payload("t1", "m1", "My fødselsnummer is 01017012345, I have diabetes")
    )

    answer = api.post(
        f"/v1/webhooks/generic/{inbox_id}",
        content=body,
        headers=sign_timestamped(SECRET, body, clock.now()),
    )

    summary = container.context.views.case_summary(UUID(answer.json()["case_ids"][0]))
    assert summary is not None
    assert summary.sensitive


def test_inbound_email_is_threaded_by_message_id(
    container: Container, integ: IntegrationServices, api: TestClient, clock: FixedClock
) -> None:
    _, inbox_id = connect(container, integ, "email", "support@shop.example")
    body = raw_mail(unique("m"))

    first = api.post(
        f"/v1/webhooks/email/{inbox_id}",
        content=body,
        headers={
            **sign_timestamped(SECRET, body, clock.now()),
            "Content-Type": "message/rfc822",
        },
    )
    resent = api.post(
        f"/v1/webhooks/email/{inbox_id}",
        content=body,
        headers={
            **sign_timestamped(SECRET, body, clock.now() + dt.timedelta(seconds=1)),
            "Content-Type": "message/rfc822",
        },
    )

    assert first.json()["messages_added"] == 1
    assert resent.json()["messages_added"] == 0
    assert resent.json()["case_ids"] == first.json()["case_ids"]


def test_corpus_mail_arrives_through_the_email_webhook(
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
    shared_data: Path,
) -> None:
    _, inbox_id = connect(container, integ, "email")
    sample = sorted(
        (shared_data / "email" / "spamassassin_ham" / "easy_ham").glob("*.eml")
    )[0]
    body = sample.read_bytes()

    answer = api.post(
        f"/v1/webhooks/email/{inbox_id}",
        content=body,
        headers=sign_timestamped(SECRET, body, clock.now()),
    )

    assert answer.status_code == 200
    assert answer.json()["messages_added"] == 1


# Refusals: nothing written


def delivery(
    platform: str, account: str, clock: FixedClock, shared_data: Path
) -> bytes:
    if platform in ("messenger", "instagram"):
        payload = copy.deepcopy(first_text_payload(shared_data))
        payload["object"] = "page" if platform == "messenger" else "instagram"
        payload["entry"][0]["id"] = account
        return body_of(payload)
    if platform == "x":
        payload = x_payload(shared_data)
        payload["for_user_id"] = account
        return body_of(payload)
    if platform == "youtube":
        return body_of(youtube_payload(account, "UCkari"))
    if platform == "email":
        return raw_mail(unique("m")).replace(b"support@shop.example", account.encode())
    return body_of({"account": account, **generic_payload("t", unique("m"), "Hi")})


PLATFORMS = ["messenger", "instagram", "x", "youtube", "generic", "email"]
ACCOUNT = {
    "messenger": "111899832631525",
    "instagram": "17841400000000000",
    "x": "123",
    "youtube": "UCshop",
    "generic": "chat-widget-1",
    "email": "support@shop.example",
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unsigned_delivery_is_refused_and_writes_nothing(
    platform: str,
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
    shared_data: Path,
) -> None:
    w, inbox_id = connect(container, integ, platform, ACCOUNT[platform])
    body = delivery(platform, ACCOUNT[platform], clock, shared_data)

    answer = api.post(f"/v1/webhooks/{platform}/{inbox_id}", content=body)

    assert answer.status_code == 401
    assert (
        "not signed" in answer.json()["detail"]
        or "timestamped" in answer.json()["detail"]
    )
    assert case_count(container, w) == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_body_changed_after_signing_is_refused_and_writes_nothing(
    platform: str,
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
    shared_data: Path,
) -> None:
    w, inbox_id = connect(container, integ, platform, ACCOUNT[platform])
    body = delivery(platform, ACCOUNT[platform], clock, shared_data)
    headers = signed(platform, body, clock.now())

    answer = api.post(
        f"/v1/webhooks/{platform}/{inbox_id}", content=body + b" ", headers=headers
    )

    assert answer.status_code == 401
    assert answer.json()["detail"].endswith("signature does not match")
    assert case_count(container, w) == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_signature_with_another_secret_is_refused(
    platform: str,
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
    shared_data: Path,
) -> None:
    w, inbox_id = connect(container, integ, platform, ACCOUNT[platform])
    body = delivery(platform, ACCOUNT[platform], clock, shared_data)
    headers = {
        "messenger": meta_headers(body, "another-secret-0000000"),
        "instagram": meta_headers(body, "another-secret-0000000"),
        "x": x_headers(body, "another-secret-0000000"),
    }.get(platform) or sign_timestamped("another-secret-0000000", body, clock.now())

    answer = api.post(
        f"/v1/webhooks/{platform}/{inbox_id}", content=body, headers=headers
    )

    assert answer.status_code == 401
    assert case_count(container, w) == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unknown_page_or_account_is_refused_and_writes_nothing(
    platform: str,
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
    shared_data: Path,
) -> None:
    w, inbox_id = connect(container, integ, platform, ACCOUNT[platform])
    body = delivery(platform, "someone-else-999", clock, shared_data)

    answer = api.post(
        f"/v1/webhooks/{platform}/{inbox_id}",
        content=body,
        headers=signed(platform, body, clock.now()),
    )

    assert answer.status_code == 422
    assert answer.json()["title"] == "Unknown account"
    assert case_count(container, w) == 0


@pytest.mark.parametrize("platform", ["messenger", "x", "generic"])
def test_oversized_delivery_is_refused_with_413(
    platform: str,
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
) -> None:
    integ.webhook_max_bytes = 2048
    w, inbox_id = connect(container, integ, platform, ACCOUNT[platform])
    body = b'{"padding": "' + b"x" * 4096 + b'"}'

    answer = api.post(
        f"/v1/webhooks/{platform}/{inbox_id}",
        content=body,
        headers=signed(platform, body, clock.now()),
    )

    assert answer.status_code == 413
    assert case_count(container, w) == 0


@pytest.mark.parametrize("skew", [-301, 301])
def test_generic_delivery_outside_the_window_is_stale(
    skew: int,
    container: Container,
    integ: IntegrationServices,
    api: TestClient,
    clock: FixedClock,
) -> None:
    w, inbox_id = connect(container, integ, "generic")
    body = body_of(generic_payload("t", "m-stale", "Hi"))
    headers = sign_timestamped(SECRET, body, clock.now() + dt.timedelta(seconds=skew))

    answer = api.post(f"/v1/webhooks/generic/{inbox_id}", content=body, headers=headers)

    assert answer.status_code == 401
    assert "stale" in answer.json()["detail"]
    assert case_count(container, w) == 0


def test_generic_delivery_replayed_is_refused_with_409(
    container: Container, integ: IntegrationServices, api: TestClient, clock: FixedClock
) -> None:
    w, inbox_id = connect(container, integ, "generic")
    body = body_of(generic_payload("t", "m-replay", "Hi"))
    headers = sign_timestamped(SECRET, body, clock.now())
    api.post(f"/v1/webhooks/generic/{inbox_id}", content=body, headers=headers)

    replay = api.post(f"/v1/webhooks/generic/{inbox_id}", content=body, headers=headers)

    assert replay.status_code == 409
    assert container.context.views.cases(w.workspace_id)[0].message_count == 1


def test_malformed_json_is_refused_with_422(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    w, inbox_id = connect(container, integ, "messenger", ACCOUNT["messenger"])
    body = b'{"object": "page", "entry": [{'

    answer = api.post(
        f"/v1/webhooks/messenger/{inbox_id}", content=body, headers=meta_headers(body)
    )

    assert answer.status_code == 422
    assert case_count(container, w) == 0


def test_delivery_to_an_unconnected_inbox_is_not_found(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    w = world(container.context)
    body = b"{}"

    answer = api.post(
        f"/v1/webhooks/messenger/{w.inbox_id}", content=body, headers=meta_headers(body)
    )

    assert answer.status_code == 404


def test_delivery_for_another_platform_than_configured_is_not_found(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    _, inbox_id = connect(container, integ, "messenger", ACCOUNT["messenger"])
    body = b"{}"

    answer = api.post(
        f"/v1/webhooks/x/{inbox_id}", content=body, headers=x_headers(body)
    )

    assert answer.status_code == 404


# Configuration: secrets sealed, never returned, workspaces apart


def test_connection_api_never_returns_or_stores_the_secret_in_clear(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    ctx = container.context
    w = world(ctx)
    inbox_id = ws.create_inbox(ctx, w.workspace_id, unique("In "), "facebook")
    secret = unique("canary-secret-") + "-0123456789"
    auth = {"Authorization": f"Bearer {w.admin_token}"}

    put = api.put(
        f"/v1/workspaces/{w.workspace_id}/inboxes/{inbox_id}/webhook-connection",
        json={
            "platform": "messenger",
            "account_id": "PAGE_ID",
            "app_secret": secret,
            "verify_token": "canary-verify-token",
        },
        headers=auth,
    )
    listed = api.get(
        f"/v1/workspaces/{w.workspace_id}/webhook-connections", headers=auth
    )

    assert put.status_code == 200
    assert put.json()["webhook_path"] == f"/v1/webhooks/messenger/{inbox_id}"
    assert secret not in put.text + listed.text
    assert "canary-verify-token" not in put.text + listed.text
    with container.engine.connect() as c:
        tables = sa.inspect(c).get_table_names()
        dumped = "".join(
            str(row)
            for t in tables
            for row in c.execute(sa.text(f'SELECT * FROM "{t}"'))
        )
    assert secret not in dumped
    assert "canary-verify-token" not in dumped


def test_agent_cannot_configure_a_connection(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    w = world(container.context)

    answer = api.put(
        f"/v1/workspaces/{w.workspace_id}/inboxes/{w.inbox_id}/webhook-connection",
        json={"platform": "email", "app_secret": SECRET},
        headers={"Authorization": f"Bearer {w.agent_token}"},
    )

    assert answer.status_code == 403


def test_admin_of_another_workspace_sees_the_inbox_as_missing(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    owner = world(container.context)
    other = world(container.context)

    answer = api.put(
        f"/v1/workspaces/{other.workspace_id}/inboxes/{owner.inbox_id}/webhook-connection",
        json={"platform": "email", "app_secret": SECRET},
        headers={"Authorization": f"Bearer {other.admin_token}"},
    )

    assert answer.status_code == 404


def test_platform_that_does_not_fit_the_inbox_channel_is_refused(
    container: Container, integ: IntegrationServices, api: TestClient
) -> None:
    w = world(container.context)  # an e-mail inbox

    answer = api.put(
        f"/v1/workspaces/{w.workspace_id}/inboxes/{w.inbox_id}/webhook-connection",
        json={"platform": "x", "account_id": "123", "app_secret": SECRET},
        headers={"Authorization": f"Bearer {w.admin_token}"},
    )

    assert answer.status_code == 422
