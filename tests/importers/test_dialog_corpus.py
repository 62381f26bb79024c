"""The chat and social importers against the shared dialogue corpora."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infrastructure.importers import AbcdSource, StarSource, TweetsummSource
from tests.importers.reading import message_count, split_items

pytestmark = pytest.mark.corpus

TWEETSUMM = "dialogs/tweetsumm/tweetsumm_full_dialogs.json"
STAR = "dialogs/star"
ABCD = "dialogs/abcd/abcd_sample.json"


def test_tweetsumm_reads_857_dialogs_one_message_per_tweet(shared_data: Path) -> None:
    source = shared_data / TWEETSUMM
    documents = json.loads(source.read_text(encoding="utf-8"))["document"]
    tweet_lines = sum(
        len(re.findall(r"^\t(?:Customer|Agent):\t", d, re.M)) for d in documents
    )

    dialogs, problems = split_items(TweetsummSource().read(str(source)))

    assert problems == []
    assert len(dialogs) == 857
    assert message_count(dialogs) == tweet_lines == 8706
    assert {d.channel for d in dialogs} == {"twitter"}
    assert TweetsummSource().estimate(str(source)) == 857


def test_tweetsumm_customers_get_the_pseudonym_agents_address(
    shared_data: Path,
) -> None:
    dialogs, _ = split_items(TweetsummSource().read(str(shared_data / TWEETSUMM)))

    handles = [d.subject.identities[0][1] for d in dialogs]
    assert all(h.startswith("twcs-") for h in handles)
    assert all(
        m.author_address == d.subject.identities[0][1]
        for d in dialogs
        for m in d.messages
        if m.direction == "inbound"
    )


@pytest.mark.parametrize(
    ("file", "lines", "dialogs_with_messages"),
    [
        ("star_bank_dialogues.jsonl", 519, 479),
        ("star_doctor_dialogues.jsonl", 446, 419),
    ],
)
def test_star_accounts_for_every_line(
    shared_data: Path, file: str, lines: int, dialogs_with_messages: int
) -> None:
    source = shared_data / STAR / file

    dialogs, problems = split_items(StarSource().read(str(source)))

    assert len(dialogs) + len(problems) == lines
    assert len(dialogs) == dialogs_with_messages
    # The rest are users who disconnected before writing anything.
    assert {p.reason for p in problems} == {"dialogue has no messages"}


def test_star_folder_reads_both_domains_with_tags(shared_data: Path) -> None:
    dialogs, problems = split_items(StarSource().read(str(shared_data / STAR)))

    assert len(dialogs) + len(problems) == 519 + 446
    assert message_count(dialogs) == 12107
    assert {d.tags for d in dialogs} == {
        ("bank", "bank_fraud_report"),
        ("bank", "bank_balance"),
        ("doctor", "doctor_schedule"),
        ("doctor", "doctor_followup"),
    }
    assert all(p.position.startswith("star_") for p in problems)


def test_star_subjects_carry_the_persona_but_no_credentials(
    shared_data: Path,
) -> None:
    dialogs, _ = split_items(StarSource().read(str(shared_data / STAR)))

    assert all(d.subject.name for d in dialogs)
    assert all(d.subject.identities[0][1].startswith("star-user-") for d in dialogs)
    detail_keys = {key for d in dialogs for key in d.subject.details}
    assert detail_keys == {"account_number", "date_of_birth"}
    bank = [d for d in dialogs if "bank" in d.tags]
    assert sum(1 for d in bank if "account_number" in d.subject.details) == 248


def test_abcd_reads_three_dialogs_with_subject_details(shared_data: Path) -> None:
    source = shared_data / ABCD
    raw = json.loads(source.read_text(encoding="utf-8"))

    dialogs, problems = split_items(AbcdSource().read(str(source)))

    assert problems == []
    assert len(dialogs) == 3
    for dialog, original in zip(dialogs, raw, strict=True):
        personal = original["scenario"]["personal"]
        order = original["scenario"]["order"]
        spoken = [t for t in original["original"] if t[0] in ("agent", "customer")]
        assert dialog.subject.name == personal["customer_name"]
        assert dialog.subject.details["phone"] == personal["phone"]
        assert dialog.subject.details["zip_code"] == order["zip_code"]
        assert dialog.subject.details["street_address"] == order["street_address"]
        assert len(dialog.messages) == len(spoken)
    assert dialogs[0].subject.identities == (
        ("email", raw[0]["scenario"]["personal"]["email"]),
        ("chat", raw[0]["scenario"]["personal"]["username"]),
    )
    # The third dialogue's scenario has neither e-mail nor username.
    assert dialogs[2].subject.identities == (
        ("phone", raw[2]["scenario"]["personal"]["phone"]),
    )
