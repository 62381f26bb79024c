"""The chat and social importers on small synthetic inputs, broken ones included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infrastructure.importers import (
    AbcdSource,
    ImportSourceNotFoundError,
    StarSource,
    TweetsummSource,
    UnknownImportFormatError,
    importer_for,
)
from tests.importers.reading import split_items

SECRET_TEXT = "Ola Nordmann, Storgata 1"


def _star_dialogue(dialogue_id: int, user_says: str = "hi") -> dict[str, Any]:
    return {
        "DialogueID": dialogue_id,
        "AnonymizedUserWorkerID": "u-1",
        "AnonymizedWizardWorkerID": "w-1",
        "Scenario": {
            "Domains": ["bank"],
            "UserTask": "Follow the instructions.",
            "WizardCapabilities": [{"Domain": "bank", "Task": "bank_balance"}],
        },
        "Events": [
            {
                "Agent": "UserGuide",
                "Action": "instruct",
                "Text": "You are Ola Nordmann. Your account number is 12345678 "
                "and your PIN is 1111. Your date of birth is 01/02/1990.",
            },
            {"Agent": "User", "Action": "utter", "Text": user_says, "UnixTime": 0},
            {"Agent": "Wizard", "Action": "request_suggestions", "Text": "hello"},
            {"Agent": "Wizard", "Action": "pick_suggestion", "Text": "Hello!"},
            {
                "Agent": "Wizard",
                "Action": "query",
                "Constraints": [{"PIN": "1111"}, {"SecurityAnswer1": '"Hansen"'}],
            },
            {"Agent": "KnowledgeBase", "Action": "return_item", "Text": "x"},
            {"Agent": "Wizard", "Action": "utter", "Text": "Done."},
        ],
    }


def test_star_keeps_only_what_the_participants_sent(tmp_path: Path) -> None:
    path = tmp_path / "star.jsonl"
    path.write_text(json.dumps(_star_dialogue(7)) + "\n")

    [dialog] = split_items(StarSource().read(str(path)))[0]

    assert dialog.thread_key == "star-7"
    assert dialog.channel == "chat"
    assert dialog.tags == ("bank", "bank_balance")
    assert [(m.direction, m.body) for m in dialog.messages] == [
        ("inbound", "hi"),
        ("outbound", "Hello!"),
        ("outbound", "Done."),
    ]


def test_star_subject_has_persona_details_and_never_the_pin(tmp_path: Path) -> None:
    path = tmp_path / "star.jsonl"
    path.write_text(json.dumps(_star_dialogue(7)) + "\n")

    [dialog] = split_items(StarSource().read(str(path)))[0]

    assert dialog.subject.identities == (("chat", "star-user-u-1"),)
    assert dialog.subject.name == "Ola Nordmann"
    assert dialog.subject.details == {
        "account_number": "12345678",
        "date_of_birth": "01/02/1990",
    }


def test_malformed_json_line_is_reported_and_the_rest_still_imports(
    tmp_path: Path,
) -> None:
    path = tmp_path / "star.jsonl"
    lines = [
        json.dumps(_star_dialogue(1)),
        '{"DialogueID": 2, "Events": [' + SECRET_TEXT,
        json.dumps({"DialogueID": 3, "Scenario": {}}),
        json.dumps(_star_dialogue(4)),
    ]
    path.write_text("\n".join(lines) + "\n")

    dialogs, problems = split_items(StarSource().read(str(path)))

    assert [d.thread_key for d in dialogs] == ["star-1", "star-4"]
    assert [(p.position, p.reason) for p in problems] == [
        ("line 2", "malformed JSON"),
        ("line 3", "Events is not a JSON list"),
    ]


def test_star_folder_positions_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(_star_dialogue(1)) + "\n")
    (tmp_path / "b.jsonl").write_text("not json\n")

    dialogs, problems = split_items(StarSource().read(str(tmp_path)))

    assert len(dialogs) == 1
    assert [p.position for p in problems] == ["b.jsonl line 1"]
    assert StarSource().estimate(str(tmp_path)) == 2


def _tweetsumm_file(tmp_path: Path, documents: list[object]) -> str:
    path = tmp_path / "tweetsumm.json"
    path.write_text(json.dumps({"document": documents, "summary": []}))
    return str(path)


def test_tweetsumm_continuation_lines_belong_to_the_tweet_before(
    tmp_path: Path,
) -> None:
    document = (
        "abc123\n"
        "\tCustomer:\t@ShopHelp my parcel is late\nsecond line\n"
        "\tAgent:\t@42 Sorry! Can you DM us? ^AB\n"
    )
    path = _tweetsumm_file(tmp_path, [document])

    [dialog] = split_items(TweetsummSource().read(path))[0]

    assert dialog.thread_key == "abc123"
    assert dialog.subject.identities == (("twitter", "twcs-42"),)
    assert [(m.direction, m.author, m.body) for m in dialog.messages] == [
        ("inbound", "twcs-42", "@ShopHelp my parcel is late\nsecond line"),
        ("outbound", "@ShopHelp", "@42 Sorry! Can you DM us? ^AB"),
    ]


def test_tweetsumm_without_addressed_customer_falls_back_to_conversation_id(
    tmp_path: Path,
) -> None:
    path = _tweetsumm_file(tmp_path, ["c0ffee\n\tCustomer:\thello\n"])

    [dialog] = split_items(TweetsummSource().read(path))[0]

    assert dialog.subject.identities == (("twitter", "tweetsumm-c0ffee"),)


def test_tweetsumm_bad_dialogues_are_reported_by_position(tmp_path: Path) -> None:
    documents: list[object] = [
        "ok1\n\tCustomer:\thi\n",
        {"not": "text"},
        SECRET_TEXT + "\n\tAgent:\tno id line\n",
        "\n\tCustomer:\t" + SECRET_TEXT,
        "only-id\n",
        "ok2\n\tAgent:\thello\n",
    ]
    path = _tweetsumm_file(tmp_path, documents)

    dialogs, problems = split_items(TweetsummSource().read(path))

    assert [d.thread_key for d in dialogs] == ["ok1", "ok2"]
    assert [p.position for p in problems] == [
        "dialogue 2",
        "dialogue 3",
        "dialogue 4",
        "dialogue 5",
    ]
    assert all(SECRET_TEXT not in p.reason for p in problems)


def test_whole_file_that_is_not_json_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"document": [' + json.dumps(SECRET_TEXT))

    for source in (TweetsummSource(), AbcdSource()):
        dialogs, problems = split_items(source.read(str(path)))

        assert dialogs == []
        assert [p.position for p in problems] == ["file"]
        assert SECRET_TEXT not in problems[0].reason


def _abcd_dialogue(convo_id: int, personal: dict[str, str]) -> dict[str, Any]:
    return {
        "convo_id": convo_id,
        "scenario": {
            "personal": personal,
            "order": {
                "street_address": "Storgata 1",
                "full_address": "Storgata 1  oslo, no 0155",
                "city": "oslo",
                "state": "no",
                "zip_code": "0155",
            },
            "flow": "order_issue",
            "subflow": "status",
        },
        "original": [
            ["agent", "Hi, how can I help?"],
            ["customer", "Where is my order?"],
            ["action", "Searching the FAQ pages ..."],
            ["agent", "It ships today."],
        ],
    }


def test_abcd_maps_scenario_customer_and_skips_action_turns(tmp_path: Path) -> None:
    personal = {
        "customer_name": "ola nordmann",
        "email": "Ola@Example.no",
        "username": "olan1",
        "phone": "(000) 555-0100",
        "member_level": "gold",
    }
    path = tmp_path / "abcd.json"
    path.write_text(json.dumps([_abcd_dialogue(5, personal)]))

    [dialog] = split_items(AbcdSource().read(str(path)))[0]

    assert dialog.thread_key == "abcd-5"
    assert dialog.tags == ("order_issue", "status")
    assert dialog.subject.identities == (("email", "ola@example.no"), ("chat", "olan1"))
    assert dialog.subject.name == "ola nordmann"
    assert dialog.subject.details["address"] == "Storgata 1 oslo, no 0155"
    assert dialog.subject.details["zip_code"] == "0155"
    assert [m.direction for m in dialog.messages] == ["outbound", "inbound", "outbound"]


def test_abcd_broken_dialogue_does_not_stop_the_others(tmp_path: Path) -> None:
    good = _abcd_dialogue(1, {"customer_name": "a", "phone": "1"})
    no_turns = {**_abcd_dialogue(2, {}), "original": SECRET_TEXT}
    bad_turn = {**_abcd_dialogue(3, {}), "original": [["customer"]]}
    path = tmp_path / "abcd.json"
    path.write_text(json.dumps([good, no_turns, "junk", bad_turn]))

    dialogs, problems = split_items(AbcdSource().read(str(path)))

    assert [d.subject.identities for d in dialogs] == [(("phone", "1"),)]
    assert [p.position for p in problems] == ["dialogue 2", "dialogue 3", "dialogue 4"]
    assert all(SECRET_TEXT not in p.reason for p in problems)


@pytest.mark.parametrize("format_name", ["mbox", "tweetsumm", "star", "abcd"])
def test_importer_for_returns_the_adapter_of_that_name(format_name: str) -> None:
    assert importer_for(format_name).name == format_name


def test_importer_for_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(UnknownImportFormatError) as raised:
        importer_for("pst")

    assert raised.value.format_name == "pst"
    assert set(raised.value.known_formats) == {"mbox", "tweetsumm", "star", "abcd"}
    assert "mbox" in str(raised.value)


@pytest.mark.parametrize("format_name", ["tweetsumm", "star", "abcd"])
def test_missing_source_raises_not_found(tmp_path: Path, format_name: str) -> None:
    with pytest.raises(ImportSourceNotFoundError):
        list(importer_for(format_name).read(str(tmp_path / "absent.json")))
