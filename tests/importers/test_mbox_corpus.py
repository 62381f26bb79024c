"""The mailbox importer against the shared mail corpora: counts and edge cases,
checked by property so no corpus text is copied here."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from application.ports import ImportedMessage
from infrastructure.importers import MboxSource
from tests.importers.reading import message_count, split_items

pytestmark = pytest.mark.corpus

FIXTURES = Path("email/parser_fixtures")


def _only_message(shared_data: Path, fixture: str) -> ImportedMessage:
    dialogs, problems = split_items(MboxSource().read(str(shared_data / fixture)))
    assert problems == []
    [dialog] = dialogs
    [message] = dialog.messages
    return message


def _has_script(text: str, script: str) -> bool:
    return any(unicodedata.name(char, "").startswith(script) for char in text)


def test_spamassassin_ham_imports_all_940_messages(shared_data: Path) -> None:
    source = shared_data / "email/spamassassin_ham.mboxrd"

    dialogs, problems = split_items(MboxSource().read(str(source)))

    messages = [m for d in dialogs for m in d.messages]
    assert problems == []
    assert len(messages) == 940
    assert len(dialogs) == 660
    # 126 in the corpus index, plus one message whose only extra part is a
    # forwarded message/rfc822, which the index does not count.
    assert sum(1 for m in messages if m.attachments) == 127
    assert sum(len(m.attachments) for m in messages) == 153
    assert sum(1 for m in messages if "=?" in (m.subject or "")) == 0


def test_parser_fixtures_mbox_accounts_for_all_120_messages(shared_data: Path) -> None:
    source = shared_data / "email/parser_fixtures.mboxrd"

    dialogs, problems = split_items(MboxSource().read(str(source)))

    assert message_count(dialogs) + len(problems) == 120
    assert len(problems) == 4
    assert all(p.reason.startswith("exact copy of message") for p in problems)


def test_parser_fixtures_folder_reads_every_eml_file(shared_data: Path) -> None:
    folder = shared_data / FIXTURES

    dialogs, problems = split_items(MboxSource().read(str(folder)))

    assert message_count(dialogs) + len(problems) == 120


def test_base64_encoded_attachment_name_is_decoded(shared_data: Path) -> None:
    message = _only_message(
        shared_data,
        f"{FIXTURES}/mikel_mail/attachment_emails/attachment_with_base64_encoded_name.eml",
    )

    [attachment] = message.attachments
    assert "=?" not in attachment.filename
    assert attachment.filename.endswith(".pdf")


def test_non_ascii_attachment_name_is_decoded(shared_data: Path) -> None:
    message = _only_message(
        shared_data, f"{FIXTURES}/mikel_mail/multi_charset/japanese_attachment.eml"
    )

    [attachment] = message.attachments
    assert _has_script(attachment.filename, "HIRAGANA")


def test_forwarded_message_and_inline_image_are_attachments(shared_data: Path) -> None:
    message = _only_message(
        shared_data,
        f"{FIXTURES}/mikel_mail/attachment_emails/"
        "attachment_message_rfc822_inline_image.eml",
    )

    types = sorted(a.content_type for a in message.attachments)
    assert types == ["image/png", "message/rfc822"]
    forwarded = next(a for a in message.attachments if a.content_type.startswith("m"))
    assert forwarded.filename.endswith(".eml")


@pytest.mark.parametrize(
    ("fixture", "script"),
    [
        ("mikel_mail/multi_charset/japanese_iso_2022.eml", "HIRAGANA"),
        ("mikel_mail/multi_charset/japanese_shift_jis.eml", "HIRAGANA"),
        ("mikel_mail/multi_charset/ks_c_5601-1987.eml", "HANGUL"),
        ("spamscope_mail-parser/mail_test_6.eml", "CYRILLIC"),
        ("spamscope_mail-parser/mail_test_12.eml", "CJK"),
    ],
)
def test_east_asian_and_cyrillic_charsets_decode(
    shared_data: Path, fixture: str, script: str
) -> None:
    message = _only_message(shared_data, f"{FIXTURES}/{fixture}")

    assert _has_script(message.body, script)
    # A stray broken byte is tolerated; a wrongly chosen charset is not.
    assert message.body.count("\ufffd") * 100 < len(message.body)


def test_broken_encoded_word_subject_does_not_leak_raw_syntax(
    shared_data: Path,
) -> None:
    message = _only_message(
        shared_data, f"{FIXTURES}/mikel_mail/error_emails/bad_encoded_subject.eml"
    )

    assert message.subject
    assert "=?" not in message.subject


def test_unparseable_date_reads_as_none(shared_data: Path) -> None:
    message = _only_message(
        shared_data, f"{FIXTURES}/mikel_mail/error_emails/bad_date_header.eml"
    )

    assert message.sent_at is None


def test_multipart_with_wrong_boundary_still_yields_its_html_as_text(
    shared_data: Path,
) -> None:
    message = _only_message(
        shared_data, f"{FIXTURES}/spamscope_mail-parser/mail_malformed_3.eml"
    )

    assert message.body
    assert "Content-Transfer-Encoding" not in message.body
    assert "<" not in message.body


def test_delivery_report_keeps_status_and_returned_message(shared_data: Path) -> None:
    message = _only_message(
        shared_data, f"{FIXTURES}/mikel_mail/multipart_report_emails/report_422.eml"
    )

    assert "message/delivery-status" in {a.content_type for a in message.attachments}
    assert message.body


def test_folder_built_from_fixture_files_threads_them(
    shared_data: Path, tmp_path: Path
) -> None:
    rfc2822 = shared_data / FIXTURES / "mikel_mail/rfc2822"
    # RFC 2822 appendix A.2: a message, a reply to it and a reply to the reply.
    (tmp_path / "thread").mkdir()
    for number in ("01", "06", "07"):
        shutil.copy(rfc2822 / f"example{number}.eml", tmp_path / "thread")
    shutil.copy(rfc2822 / "example03.eml", tmp_path)

    dialogs, problems = split_items(MboxSource().read(str(tmp_path)))

    assert problems == []
    assert sorted(len(d.messages) for d in dialogs) == [1, 3]
    thread = next(d for d in dialogs if len(d.messages) == 3)
    directions = [m.direction for m in thread.messages]
    assert directions == ["inbound", "outbound", "inbound"]
