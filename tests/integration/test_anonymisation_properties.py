"""Property: after a sensitive case is anonymised, no personal value seeded into
its dialog survives in the case, any projection, any decoded event or the
SQLite file and its WAL, and the original keys are gone (issue 5.6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import iban
from stdnum.no import fodselsnummer, kontonr

from application import anonymisation as anon
from application import cases, sensitivity
from application.ports import (
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
)
from domain.model import case_profile_owner
from domain.personal_data import PersonalData
from domain.sensitivity import Category
from infrastructure.bootstrap import Container, build
from infrastructure.db import metadata
from infrastructure.identifiers import FixedClock
from tests.builders import World, unique, world
from tests.conftest import make_settings

FIRST = ["Ola", "Kari", "Per", "Ingrid", "Lars", "Anne", "Nils"]
LAST = ["Hansen", "Nordmann", "Johansen", "Larsen", "Olsen", "Berg", "Dahl"]
STREETS = ["Storgata", "Kirkeveien", "Markveien", "Skogveien"]
# Norwegian mobile series in use; numbers outside them are not phone numbers to
# the detector.
MOBILE_PREFIXES = ["40", "41", "45", "46", "47", "48", "90", "91", "92", "93", "95"]
PLACES = [("0150", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim")]
# Words the special-category lexicons know, in a sentence that names them.
SPECIAL = {
    Category.HEALTH: ("Jeg har {}.", ["diabetes", "epilepsi", "kreft"]),
    Category.RELIGION: ("Jeg er {}.", ["muslim", "jøde"]),
    Category.TRADE_UNION: ("Jeg er medlem av {}.", ["Fagforbundet"]),
    Category.POLITICAL_OPINION: ("Jeg stemmer på {}.", ["Frp"]),
    Category.GENETIC: ("Jeg tok en {}.", ["gentest", "DNA-test"]),
    Category.BIOMETRIC: ("Jeg måtte ta {} av øyet.", ["irisskann"]),
}


@st.composite
def national_ids(draw: st.DrawFn) -> str:
    day = draw(st.dates(dt.date(1940, 1, 1), dt.date(1999, 12, 31)))
    individual = draw(st.integers(0, 499))
    base = f"{day:%d%m%y}{individual:03d}"
    base += fodselsnummer.calc_check_digit1(base)
    base += fodselsnummer.calc_check_digit2(base)
    return base


@st.composite
def accounts(draw: st.DrawFn) -> str:
    # Bank account numbers whose mod-11 check digit would be 10 do not exist
    # (python-stdnum then returns "10", which made 12-digit "accounts").
    stem = draw(
        st.from_regex(r"\A[1-9][0-9]{9}\Z").filter(
            lambda s: len(kontonr._calc_check_digit(s)) == 1
        )
    )
    return stem + str(kontonr._calc_check_digit(stem))


@st.composite
def cards(draw: st.DrawFn) -> str:
    from stdnum import luhn

    stem = "4" + draw(st.from_regex(r"\A[0-9]{14}\Z"))
    return stem + luhn.calc_check_digit(stem)


@dataclass(frozen=True)
class Seeded:
    """A sentence that holds one personal value, and that value."""

    sentence: str
    value: str


@st.composite
def seeds(draw: st.DrawFn) -> list[Seeded]:
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    name = f"{first} {last}"
    account = draw(accounts())
    # A check digit of 10 makes no valid number: those draws are dropped.
    fnr = draw(national_ids().filter(fodselsnummer.is_valid))
    card = draw(cards())
    phone = (
        f"{draw(st.sampled_from(MOBILE_PREFIXES))}{draw(st.integers(0, 9))} "
        f"{draw(st.integers(10, 99))} {draw(st.integers(100, 999))}"
    )
    street = f"{draw(st.sampled_from(STREETS))} {draw(st.integers(1, 99))}"
    postcode, town = draw(st.sampled_from(PLACES))
    ip = ".".join(str(draw(st.integers(11, 250))) for _ in range(4))
    born = draw(st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31)))
    email = f"{first.lower()}.{draw(st.integers(100, 999))}@example.no"
    iban_value = "NO" + iban.calc_check_digits("NO00" + account) + account
    sentences = [
        Seeded(f"Hilsen {name}", name),
        Seeded(f"Fødselsnummeret mitt er {fnr}.", fnr),
        Seeded(f"Kontonummer {account[:4]}.{account[4:6]}.{account[6:]}", account[6:]),
        Seeded(f"IBAN {iban_value}", iban_value),
        Seeded(f"kort {card}", card),
        Seeded(f"Ring meg på {phone}", phone),
        Seeded(f"IP {ip}", ip),
        Seeded(f"Jeg bor i {street}, {postcode} {town}", street),
        Seeded(f"født {born:%d.%m.%Y}", f"{born:%d.%m.%Y}"),
        Seeded(f"e-post {email}", email),
    ]
    for template, words in SPECIAL.values():
        word = draw(st.sampled_from(words))
        sentences.append(Seeded(template.format(word), word))
    return draw(st.permutations(sentences))


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Container, World, Path]]:
    path = tmp_path / "gdprkit.db"
    wired = build(
        make_settings(tmp_path, f"sqlite:///{path}"),
        clock=clock,
        use_default_detector=False,
    )
    yield wired, world(wired.context), path
    wired.close()


def _dialog(seeded: list[Seeded], split: int) -> ImportedDialog:
    customer = seeded[0].value
    address = unique("kunde") + "@example.test"
    texts = [s.sentence for s in seeded]
    bodies = [" ".join(texts[:split]), " ".join(texts[split:])]
    return ImportedDialog(
        thread_key=unique("thread-"),
        channel="email",
        subject=ImportedSubject(identities=(("email", address),), name=customer),
        messages=tuple(
            ImportedMessage(
                external_id=unique("m-"),
                direction=direction,
                author=customer if direction == "inbound" else "Support",
                author_address=address if direction == "inbound" else None,
                body=body,
                subject=texts[0],
                attachments=(
                    ImportedAttachment(
                        f"{customer}.txt", "text/plain", body.encode("utf-8")
                    ),
                ),
            )
            for direction, body in zip(("inbound", "outbound"), bodies, strict=True)
        ),
    )


def _texts_of(value: Any) -> Iterator[str]:
    if isinstance(value, PersonalData):
        yield value.text() if not value.is_erased else ""
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts_of(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _texts_of(item)
    elif isinstance(value, str):
        yield value


def _every_decoded_event(container: Container) -> str:
    recorder = container.store.recorder
    mapper = container.store.mapper
    texts: list[str] = []
    for notification in recorder.select_notifications(start=1, limit=1_000_000):
        event = mapper.to_domain_event(notification)
        texts.extend(_texts_of(vars(event)))
    return "\n".join(texts)


def _every_projection_row(container: Container) -> str:
    # Text columns only: sealed and hashed columns are bytes in which a short
    # value can turn up by chance.
    with container.engine.connect() as connection:
        return "\n".join(
            value
            for table in metadata.sorted_tables
            for row in connection.execute(sa.select(table)).all()
            for value in row
            if isinstance(value, str)
        )


def _raw_bytes(path: Path) -> bytes:
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


# Shorter values occur by chance in megabytes of ciphertext.
MIN_RAW_LENGTH = 6


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seeded=seeds(), split=st.integers(1, 10))
def test_no_seeded_value_survives_anonymisation(
    store: tuple[Container, World, Path], seeded: list[Seeded], split: int
) -> None:
    container, w, path = store
    ctx = container.context
    result = cases.ingest_dialog(
        ctx, w.workspace_id, w.inbox_id, _dialog(seeded, split)
    )
    cases.tag_case(ctx, w.agent, result.case_id, ["generated"], [seeded[0].value])
    sensitivity.flag_case(ctx, w.agent, result.case_id, ["HEALTH"], "property test")
    cases.close_case(ctx, w.agent, result.case_id)

    anon.anonymise_case(
        ctx, w.workspace_id, result.case_id, reason="property", actor_id=None
    )
    view = cases.open_case(ctx, result.case_id, cases.ReadContext(w.agent, "check"))
    shown = "\n".join(_texts_of([vars(m) for m in view.messages]))
    shown += str(view.profile) + str(view.tags)
    decoded = _every_decoded_event(container)
    rows = _every_projection_row(container)
    raw = _raw_bytes(path)
    texts = shown + decoded + rows
    survivors = [
        s.value
        for s in seeded
        if s.value in texts
        or (len(s.value) >= MIN_RAW_LENGTH and s.value.encode() in raw)
    ]

    assert survivors == []
    assert (
        ctx.shredder.count_keys(
            [result.case_id, case_profile_owner(result.case_id), result.subject_id]
        )
        == 0
    )
