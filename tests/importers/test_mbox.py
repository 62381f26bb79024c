from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrastructure.importers import ImportSourceNotFoundError, MboxSource
from tests.importers.reading import message_count, split_items

CUSTOMER = "Kari Nordmann <kari@example.no>"
AGENT = "Support <support@shop.example>"


def _mail(
    sender: str,
    body: str,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    date: str = "Mon, 06 Jan 2025 10:00:00 +0100",
) -> bytes:
    headers = [f"From: {sender}", "To: someone@example.org", "Subject: Order"]
    headers.append(f"Date: {date}")
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if references:
        headers.append(f"References: {references}")
    return ("\n".join(headers) + "\n\n" + body + "\n").encode()


def _mbox(tmp_path: Path, *messages: bytes) -> str:
    path = tmp_path / "box.mbox"
    chunks = [
        b"From sender@example.org Mon Jan  6 10:00:00 2025\n" + m for m in messages
    ]
    path.write_bytes(b"\n".join(chunks))
    return str(path)


def test_reply_chain_becomes_one_dialog_opened_by_the_customer(tmp_path: Path) -> None:
    path = _mbox(
        tmp_path,
        _mail(
            CUSTOMER, "Where is my order?", "<a@x>", date="Mon, 06 Jan 2025 10:00 +0100"
        ),
        _mail(
            AGENT,
            "On its way.",
            "<b@x>",
            "<a@x>",
            "<a@x>",
            "Mon, 06 Jan 2025 11:00 +0100",
        ),
        _mail(
            CUSTOMER,
            "Thanks!",
            "<c@x>",
            "<b@x>",
            "<a@x> <b@x>",
            "Tue, 07 Jan 2025 09:00 +0100",
        ),
    )

    dialogs, problems = split_items(MboxSource().read(path))

    assert problems == []
    [dialog] = dialogs
    assert dialog.thread_key == "a@x"
    assert dialog.channel == "email"
    assert dialog.subject.identities == (("email", "kari@example.no"),)
    assert dialog.subject.name == "Kari Nordmann"
    assert [m.direction for m in dialog.messages] == ["inbound", "outbound", "inbound"]
    assert dialog.messages[2].in_reply_to == "b@x"
    assert dialog.messages[2].references == ("a@x", "b@x")


def test_replies_whose_parent_is_missing_meet_through_references(
    tmp_path: Path,
) -> None:
    path = _mbox(
        tmp_path,
        _mail(AGENT, "First answer", "<b@x>", "<root@x>", "<root@x>"),
        _mail(CUSTOMER, "Second question", "<c@x>", "<b2@x>", "<root@x> <b2@x>"),
    )

    dialogs, _ = split_items(MboxSource().read(path))

    [dialog] = dialogs
    assert dialog.thread_key == "root@x"
    assert message_count(dialogs) == 2


def test_messages_without_ids_are_dialogs_of_their_own_with_stable_keys(
    tmp_path: Path,
) -> None:
    path = _mbox(tmp_path, _mail(CUSTOMER, "one"), _mail(CUSTOMER, "two"))

    first_read, _ = split_items(MboxSource().read(path))
    second_read, _ = split_items(MboxSource().read(path))

    assert len(first_read) == 2
    keys = [d.thread_key for d in first_read]
    assert len(set(keys)) == 2
    assert keys == [d.thread_key for d in second_read]


def test_encoded_words_in_headers_are_decoded(tmp_path: Path) -> None:
    raw = (
        b"From: =?iso-8859-1?Q?Bj=F8rn_S=E6ther?= <bjorn@example.no>\n"
        b"Subject: =?utf-8?B?QmVzdGlsbGluZyBww6U=?= =?utf-8?Q?_bl=C3=A5b=C3=A6r?=\n"
        b"\nhei\n"
    )
    path = tmp_path / "encoded.eml"
    path.write_bytes(raw)

    [dialog] = split_items(MboxSource().read(str(path)))[0]

    assert dialog.subject.name == "Bjørn Sæther"
    assert dialog.messages[0].subject == "Bestilling på blåbær"


@pytest.mark.parametrize(
    ("declared", "body"),
    [
        ("us-ascii", "blåbærsyltetøy".encode()),
        ("x-no-such-charset", "smørbrød".encode("cp1252")),
        ("utf-8", "smørbrød".encode("latin-1")),
        ("iso-8859-1", "smørbrød".encode()),
    ],
)
def test_wrong_or_unknown_charsets_fall_back_to_readable_text(
    tmp_path: Path, declared: str, body: bytes
) -> None:
    raw = (
        b"From: a@example.no\nContent-Type: text/plain; charset="
        + declared.encode()
        + b"\n\n"
        + body
    )
    path = tmp_path / "charset.eml"
    path.write_bytes(raw)

    [dialog] = split_items(MboxSource().read(str(path)))[0]

    assert dialog.messages[0].body in {"blåbærsyltetøy", "smørbrød"}


def test_undeclared_8bit_subject_is_read_in_the_body_charset(tmp_path: Path) -> None:
    raw = (
        b"From: a@example.no\nSubject: "
        + "Svar på søknad".encode("cp1252")
        + b"\nContent-Type: text/plain; charset=windows-1252\n\nok\n"
    )
    path = tmp_path / "raw8bit.eml"
    path.write_bytes(raw)

    [dialog] = split_items(MboxSource().read(str(path)))[0]

    assert dialog.messages[0].subject == "Svar på søknad"


def test_html_only_body_is_read_as_text_without_scripts_or_styles(
    tmp_path: Path,
) -> None:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Hello&nbsp;there"
        "</p><script>alert(1)</script><p>Line two</p></body></html>",
        subtype="html",
    )
    path = tmp_path / "html.eml"
    path.write_bytes(message.as_bytes())

    [dialog] = split_items(MboxSource().read(str(path)))[0]

    assert dialog.messages[0].body == "Hello there\n\nLine two"


def test_plain_text_alternative_is_preferred_over_html(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message.set_content("plain words")
    message.add_alternative("<p>html words</p>", subtype="html")
    path = tmp_path / "alternative.eml"
    path.write_bytes(message.as_bytes())

    [dialog] = split_items(MboxSource().read(str(path)))[0]

    assert dialog.messages[0].body == "plain words"


def test_attachments_inline_images_and_forwarded_mail_are_kept(
    tmp_path: Path,
) -> None:
    forwarded = EmailMessage()
    forwarded["Subject"] = "inner"
    forwarded.set_content("forwarded text")
    message = EmailMessage()
    message["From"] = CUSTOMER
    message.set_content("see attached")
    message.add_alternative("<p>see <img src='cid:logo'></p>", subtype="html")
    html = next(p for p in message.iter_parts() if p.get_content_subtype() == "html")
    html.add_related(b"\x89PNG", "image", "png", cid="logo")
    message.add_attachment(b"%PDF-1.4", "application", "pdf", filename="faktura.pdf")
    message.add_attachment(forwarded)
    path = tmp_path / "attachments.eml"
    path.write_bytes(message.as_bytes())

    [dialog] = split_items(MboxSource().read(str(path)))[0]

    found = {(a.filename, a.content_type) for a in dialog.messages[0].attachments}
    assert found == {
        ("attachment.png", "image/png"),
        ("faktura.pdf", "application/pdf"),
        ("forwarded-message.eml", "message/rfc822"),
    }
    assert dialog.messages[0].body == "see attached"
    pdf = next(a for a in dialog.messages[0].attachments if a.filename.endswith("pdf"))
    assert pdf.content == b"%PDF-1.4"


def test_mboxrd_quoted_from_lines_are_unquoted(tmp_path: Path) -> None:
    path = _mbox(tmp_path, _mail(CUSTOMER, ">From the start\n>>From deeper"))

    [dialog] = split_items(MboxSource().read(path))[0]

    assert dialog.messages[0].body == "From the start\n>From deeper"


def test_unreadable_date_reads_as_none(tmp_path: Path) -> None:
    path = _mbox(tmp_path, _mail(CUSTOMER, "hi", "<a@x>", date="yesterday-ish"))

    [dialog] = split_items(MboxSource().read(path))[0]

    assert dialog.messages[0].sent_at is None


def test_exact_copy_is_reported_by_position_and_not_imported_twice(
    tmp_path: Path,
) -> None:
    original = _mail(CUSTOMER, "hi", "<a@x>")
    path = _mbox(tmp_path, original, _mail(AGENT, "hello", "<b@x>", "<a@x>"), original)

    dialogs, problems = split_items(MboxSource().read(path))

    assert message_count(dialogs) == 2
    assert [p.position for p in problems] == ["message 3"]


def test_folder_of_eml_files_is_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "2025" / "jan").mkdir(parents=True)
    (tmp_path / "a.eml").write_bytes(_mail(CUSTOMER, "q", "<a@x>"))
    (tmp_path / "2025" / "jan" / "b.EML").write_bytes(
        _mail(AGENT, "r", "<b@x>", "<a@x>")
    )
    (tmp_path / "2025" / "c.eml").write_bytes(_mail(CUSTOMER, "other", "<c@x>"))
    (tmp_path / "notes.txt").write_text("not mail")

    dialogs, problems = split_items(MboxSource().read(str(tmp_path)))

    assert problems == []
    assert sorted(len(d.messages) for d in dialogs) == [1, 2]


def test_single_message_without_envelope_line_reads_as_one_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "saved-message"
    path.write_bytes(_mail(CUSTOMER, "hello", "<a@x>"))

    dialogs, problems = split_items(MboxSource().read(str(path)))

    assert problems == []
    assert [d.thread_key for d in dialogs] == ["a@x"]


def test_file_that_is_not_mail_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "picture.mbox"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))

    dialogs, problems = split_items(MboxSource().read(str(path)))

    assert dialogs == []
    assert [p.position for p in problems] == ["file"]


def test_missing_source_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceNotFoundError):
        list(MboxSource().read(str(tmp_path / "absent.mbox")))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
def test_any_bytes_give_one_dialog_or_one_problem(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.eml"
    path.write_bytes(raw)

    items = list(MboxSource().read(str(path)))

    assert len(items) == 1
