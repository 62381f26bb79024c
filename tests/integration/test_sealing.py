"""Sealing on both stores: no personal value in clear anywhere, sealed values
bound to their event and field, bad input read as a marker, key configuration
checked at start-up, a keyed blind index, and exact transcoding."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import os
import secrets
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
import sqlalchemy as sa
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from structlog.testing import capture_logs

from application import cases, erasure
from application.ports import (
    AccessLogFilter,
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
)
from domain.model import Case, log_period_owner
from domain.personal_data import ERASED_MARKER, UNREADABLE_MARKER, PersonalData
from infrastructure.bootstrap import Container, build
from infrastructure.db import access_log, blind_index, data_keys
from infrastructure.eventstore.transcoder import (
    BytesAsBase64,
    OrjsonTranscoder,
    SetAsList,
)
from infrastructure.identifiers import FixedClock
from infrastructure.settings import ConfigurationError, Settings
from infrastructure.vault import WrongMasterKeyError
from tests.builders import dialog, world
from tests.conftest import PG_BIN, make_settings, random_key

# Helpers: raw bytes of each store, and the forms a marker could take in them.


def _sqlite_raw(container: Container) -> bytes:
    path = container.settings.sqlite_path
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def _pg_dump() -> str:
    bundled = PG_BIN / "pg_dump"
    return str(bundled) if bundled.exists() else shutil.which("pg_dump") or "pg_dump"


_RELATION_FILES = sa.text(
    "SELECT pg_read_binary_file(pg_relation_filepath(c.oid)) FROM pg_class c "
    "WHERE c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace) "
    "AND c.relkind IN ('r', 't', 'i') AND pg_relation_filepath(c.oid) IS NOT NULL"
)


def _postgres_raw(container: Container) -> bytes:
    """A pg_dump of the database plus the on-disk files of its relations."""
    dump = subprocess.run(
        [_pg_dump(), "--no-owner", "--dbname", container.settings.database_url],
        capture_output=True,
        check=True,
    ).stdout
    with container.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        connection.exec_driver_sql("CHECKPOINT")
        files = connection.execute(_RELATION_FILES).scalars().all()
    return dump + b"".join(files)


_RAW: dict[str, Callable[[Container], bytes]] = {
    "sqlite": _sqlite_raw,
    "postgresql": _postgres_raw,
}


def raw_database(container: Container) -> bytes:
    return _RAW[container.engine.dialect.name](container)


def base64_forms(marker: bytes) -> set[bytes]:
    """Text every base64 encoding of a longer value holding `marker` contains,
    whatever the marker's offset modulo three."""
    forms = set()
    for shift in range(3):
        first, end = -(-shift // 3), (shift + len(marker)) // 3
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(bytes(shift) + marker)[first * 4 : end * 4])
    return forms


def needles(markers: list[str]) -> set[bytes]:
    """Clear, base64 and hex forms (pg_dump writes bytea as hex) of each marker."""
    found: set[bytes] = set()
    for marker in markers:
        raw = marker.encode()
        found |= {raw, raw.hex().encode(), *base64_forms(raw)}
    return found


def present(haystack: bytes, markers: list[str]) -> list[bytes]:
    return [needle for needle in needles(markers) if needle in haystack]


def texts_in(value: Any) -> Iterator[str]:
    """Every text or byte string reachable from a decoded event attribute."""
    if isinstance(value, PersonalData):
        yield value.text()
    elif isinstance(value, str | bytes):
        yield value if isinstance(value, str) else value.decode("latin-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from texts_in(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from texts_in(item)


def decoded_texts(container: Container) -> list[str]:
    """Every event in the store decoded with the vault, flattened to text."""
    recorder = container.store.recorder
    notifications = recorder.select_notifications(start=1, limit=100_000)
    events = [container.store.mapper.to_domain_event(n) for n in notifications]
    return [text for event in events for text in texts_in(vars(event))]


def canary_markers() -> dict[str, str]:
    fields = ("name", "email", "body", "reply", "attachment", "filename")
    return {field: f"zq{field}{secrets.token_hex(8)}" for field in fields}


def plant_canaries(container: Container, markers: dict[str, str]) -> Any:
    ctx = container.context
    w = world(ctx)
    email = f"{markers['email']}@example.test"
    attachment = ImportedAttachment(
        f"{markers['filename']}.pdf",
        "application/pdf",
        b"%PDF-1.4 " + markers["attachment"].encode() + b" %%EOF",
    )
    first = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email=email,
            name=markers["name"],
            body=f"Hello, {markers['body']} here.",
            thread="canary",
            attachments=(attachment,),
        ),
    )
    cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        dialog(
            email=email, name=markers["name"], body=markers["reply"], thread="canary"
        ),
    )
    cases.open_case(
        ctx, first.case_id, cases.ReadContext(w.agent, "canary", "192.0.2.9")
    )
    return w, first


# Canary


def test_canary_markers_never_reach_the_database_in_clear(
    container: Container,
) -> None:
    markers = canary_markers()
    plant_canaries(container, markers)

    assert present(raw_database(container), list(markers.values())) == []


def test_erased_canaries_cannot_be_recovered_with_master_key_and_database(
    container: Container, settings: Settings, clock: FixedClock
) -> None:
    markers = canary_markers()
    w, result = plant_canaries(container, markers)
    readable = " ".join(decoded_texts(container))
    with container.engine.connect() as connection:
        wrapped = connection.execute(sa.select(data_keys.c.wrapped_key)).scalars()
        wrapped_before = {bytes(key) for key in wrapped}
    # Erase, then look at the store through a fresh process holding the master key.
    erasure.erase_subject(
        container.context,
        w.workspace_id,
        result.subject_id,
        reason="art. 17 request",
        request_ref="canary",
        actor_id=w.admin.user_id,
    )
    container.close()
    fresh = build(settings, clock=clock, use_default_detector=False)
    # The scheduled pass that follows every purge: PostgreSQL may have kept the
    # deleted rows for a transaction that was still open during the erasure.
    fresh.vault.reclaim_space()
    with fresh.engine.connect() as connection:
        wrapped = connection.execute(sa.select(data_keys.c.wrapped_key)).scalars()
        destroyed = wrapped_before - {bytes(key) for key in wrapped}
    recovered = " ".join(decoded_texts(fresh))
    raw = raw_database(fresh)
    fresh.close()

    assert all(marker in readable for marker in markers.values())
    assert [marker for marker in markers.values() if marker in recovered] == []
    assert present(raw, list(markers.values())) == []
    assert len(destroyed) == 3
    assert [key for key in destroyed if key in raw] == []


# Associated data: a sealed value opens only where it was sealed


def _stored_states(container: Container, case_id: UUID) -> list[dict[str, Any]]:
    events = container.store.recorder.select_events(case_id)
    return [orjson.loads(event.state) for event in events]


def _replace_state(
    container: Container, old: dict[str, Any], new: dict[str, Any]
) -> None:
    table = container.store.recorder.events_table_name  # type: ignore[attr-defined]
    with container.engine.begin() as connection:
        updated = connection.execute(
            sa.text(f"UPDATE {table} SET state = :new WHERE state = :old"),
            {"new": orjson.dumps(new), "old": orjson.dumps(old)},
        )
    assert updated.rowcount == 1


def _two_message_case(container: Container) -> tuple[Any, UUID]:
    ctx = container.context
    w = world(ctx)
    first = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body="first body", thread="aad")
    )
    cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, dialog(body="second body", thread="aad")
    )
    return w, first.case_id


def _bodies(container: Container, case_id: UUID) -> list[str]:
    container.vault.forget_cached()
    case: Case = container.store.get(case_id)
    return [message["body"].text() for message in case.messages]


def test_sealed_value_copied_into_another_event_does_not_open(
    container: Container,
) -> None:
    _, case_id = _two_message_case(container)
    states = _stored_states(container, case_id)
    forged = {**states[1], "body": states[2]["body"]}

    _replace_state(container, states[1], forged)

    assert _bodies(container, case_id) == [UNREADABLE_MARKER, "second body"]


def test_sealed_value_relabelled_as_another_field_does_not_open(
    container: Container,
) -> None:
    _, case_id = _two_message_case(container)
    states = _stored_states(container, case_id)
    body = states[1]["body"]
    relabelled = {**body, "_data_": {**body["_data_"], "f": "subject_line"}}

    _replace_state(container, states[1], {**states[1], "body": relabelled})

    assert _bodies(container, case_id) == [UNREADABLE_MARKER, "second body"]


# Bad input: tampered ciphertext, missing key rows


def _with_sealed(state: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    sealed = state[name]
    return {**state, name: {**sealed, "_data_": {**sealed["_data_"], "v": value}}}


def _flipped_bytes(envelope: bytes) -> bytes:
    return envelope[:-1] + bytes([envelope[-1] ^ 0x01])


def _flipped(encoded: str) -> str:
    return base64.b64encode(_flipped_bytes(base64.b64decode(encoded))).decode()


@pytest.mark.parametrize(
    "tamper",
    [_flipped, lambda v: v[:12], lambda v: "not*base64!", lambda v: ""],
    ids=["flipped-bit", "truncated", "not-base64", "empty"],
)
def test_tampered_ciphertext_reads_as_unreadable_without_crashing(
    container: Container, tamper: Callable[[str], str]
) -> None:
    w, case_id = _two_message_case(container)
    states = _stored_states(container, case_id)
    original = states[1]["body"]["_data_"]["v"]

    _replace_state(
        container, states[1], _with_sealed(states[1], "body", tamper(original))
    )
    container.vault.forget_cached()
    view = cases.open_case(container.context, case_id, cases.ReadContext(w.agent, "t"))

    assert [m.body for m in view.messages] == [UNREADABLE_MARKER, "second body"]


def test_missing_key_row_reads_as_erased(container: Container) -> None:
    w, case_id = _two_message_case(container)

    with container.engine.begin() as connection:
        connection.execute(
            sa.delete(data_keys).where(data_keys.c.owner_id == str(case_id))
        )
    container.vault.forget_cached()
    view = cases.open_case(container.context, case_id, cases.ReadContext(w.agent, "t"))

    assert [m.body for m in view.messages] == [ERASED_MARKER, ERASED_MARKER]
    assert view.profile["name"] == "Kari Nordmann"


def test_access_log_row_with_tampered_address_reads_as_unreadable(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w, case_id = _two_message_case(container)
    cases.open_case(ctx, case_id, cases.ReadContext(w.agent, "t", "192.0.2.1"))
    ctx.views.catch_up()

    with container.engine.begin() as connection:
        sealed = connection.execute(sa.select(access_log.c.client_address)).scalar_one()
        connection.execute(
            sa.update(access_log).values(client_address=_flipped_bytes(sealed))
        )
    container.vault.forget_cached()
    entries = ctx.views.access_log(AccessLogFilter(w.workspace_id, case_id=case_id))

    assert [e.client_address for e in entries] == [UNREADABLE_MARKER]


def test_access_log_row_with_shredded_period_key_reads_as_erased(
    container: Container, clock: FixedClock
) -> None:
    ctx = container.context
    w, case_id = _two_message_case(container)
    cases.open_case(ctx, case_id, cases.ReadContext(w.agent, "t", "192.0.2.1"))
    ctx.views.catch_up()

    container.vault.shred([log_period_owner(w.workspace_id, clock.now())])
    entries = ctx.views.access_log(AccessLogFilter(w.workspace_id, case_id=case_id))

    assert [e.client_address for e in entries] == [ERASED_MARKER]


# Key configuration at start-up


def test_wrong_master_key_stops_start_up(settings: Settings) -> None:
    first = build(settings, use_default_detector=False)
    world(first.context)
    first.close()
    wrong = settings.model_copy(update={"master_key": random_key()})

    with pytest.raises(WrongMasterKeyError) as raised:
        build(wrong, use_default_detector=False)

    assert "master key" in str(raised.value)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GDPRKIT_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("", "must be set outside development"),
        ("not base64 at all!", "is not valid base64"),
        (base64.b64encode(b"short").decode(), "must decode to 32 bytes"),
    ],
    ids=["missing", "not-base64", "wrong-length"],
)
@pytest.mark.usefixtures("clean_env")
def test_bad_master_key_stops_start_up_naming_the_variable(
    tmp_path: Path, value: str, complaint: str
) -> None:
    settings = make_settings(tmp_path, environment="production", master_key=value)

    with pytest.raises(ConfigurationError) as raised:
        build(settings, use_default_detector=False, create_tables=True)

    assert "GDPRKIT_MASTER_KEY" in str(raised.value)
    assert complaint in str(raised.value)


@pytest.mark.usefixtures("clean_env")
def test_unreadable_master_key_file_names_the_file_variable(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, master_key="", master_key_file=tmp_path / "absent.key"
    )

    with pytest.raises(ConfigurationError) as raised:
        settings.master_key_bytes()

    assert "GDPRKIT_MASTER_KEY_FILE" in str(raised.value)


@pytest.mark.usefixtures("clean_env")
def test_development_generates_owner_only_key_once_and_says_so_once(
    tmp_path: Path,
) -> None:
    settings = Settings(environment="development", data_dir=tmp_path)

    with capture_logs() as logs:
        first = settings.master_key_bytes()
        second = Settings(environment="development", data_dir=tmp_path)
        again = second.master_key_bytes()

    mode = stat.S_IMODE((tmp_path / "master.key").stat().st_mode)
    generated = [e for e in logs if e["event"] == "settings.key_generated"]
    assert (first, len(first), mode) == (again, 32, 0o600)
    assert [e["key"] for e in generated] == ["master.key"]


# Blind index


def test_blind_index_holds_keyed_digests_and_no_clear_identifier(
    container: Container,
) -> None:
    ctx = container.context
    w = world(ctx, channel="twitter")
    handle = f"ZqHandle{secrets.token_hex(4)}"
    email = f"Zq.Mail{secrets.token_hex(4)}@Example.test"
    identities = (("email", email), ("twitter", f"@{handle}"))
    message = ImportedMessage("m1", "inbound", handle, None, "hi", None, None, ())
    result = cases.ingest_dialog(
        ctx,
        w.workspace_id,
        w.inbox_id,
        ImportedDialog("t", "twitter", ImportedSubject(identities), (message,)),
    )

    with container.engine.connect() as connection:
        rows = connection.execute(sa.select(blind_index)).all()
    cells = " ".join(str(cell) for row in rows for cell in row)
    clear_forms = {email, email.casefold(), handle, handle.casefold()}
    unkeyed = {
        hashlib.sha256(form.encode()).hexdigest()
        for form in clear_forms | {f"email\x1f{email.casefold()}"}
    }
    digests = {row.digest for row in rows}
    found = ctx.views.subject_by_digest(
        w.workspace_id, ctx.hasher.digest("email", email.upper())
    )
    assert [form for form in clear_forms if form.casefold() in cells.casefold()] == []
    assert digests & unkeyed == set()
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in digests)
    assert len(digests) == 2
    assert found == result.subject_id


# Transcoding


class _Colour(enum.StrEnum):
    RED = "red"


@pytest.fixture
def transcoder() -> OrjsonTranscoder:
    transcoder = OrjsonTranscoder()
    for transcoding in (
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        BytesAsBase64(),
        SetAsList(),
    ):
        transcoder.register(transcoding)
    return transcoder


def _shape(value: Any) -> Any:
    """Type and exact repr of every leaf, so 1.50 and 1.5 or naive and aware
    datetimes tell apart."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return (type(value).__name__, repr(value))


def test_transcoder_round_trips_every_type_exactly(
    transcoder: OrjsonTranscoder,
) -> None:
    moment = dt.datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=dt.UTC)
    oslo = dt.timezone(dt.timedelta(hours=2))
    value = {
        "uuid": uuid4(),
        "decimals": [Decimal("12.3400"), Decimal("-0E-7"), Decimal("1e+30")],
        "times": [moment, moment.astimezone(oslo), dt.datetime(2026, 1, 1, 12)],
        "bytes": [b"", b"\x00\xff\x80binary", bytes(range(256))],
        "nested": {"a": [{"b": [uuid4(), {"c": Decimal("0.1")}]}], "d": {}},
        "plain": ["ünïcødé ✓", 2**62, -1.5, True, None, []],
        "set": {3, 1, 2},
    }

    decoded = transcoder.decode(transcoder.encode(value))

    assert _shape(decoded) == _shape(value)
    assert decoded == value


def test_transcoder_refuses_unregistered_str_subclass(
    transcoder: OrjsonTranscoder,
) -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.encode({"colour": _Colour.RED})
