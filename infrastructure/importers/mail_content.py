"""Turns a parsed RFC 5322 message into readable text, addresses and attachments.

Everything here is lenient on purpose: mail in the wild declares charsets it does
not use, misnames them, breaks MIME boundaries and puts raw 8-bit bytes in
headers. Each helper falls back to a best guess instead of raising.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message
from html.parser import HTMLParser

from application.ports import ImportedAttachment

# Mailers write these names; Python knows the charset under another name, or a
# superset decodes what the mailer really sent (GB2312 mail is often GBK).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "iso-8859-1": "cp1252",
    "unicode-1-1-utf-7": "utf-7",
}
_MEANINGLESS_CHARSETS = {"unknown-8bit", "x-unknown", "x-user-defined", "default"}
_FALLBACK_CHARSETS = ("utf-8", "cp1252")
_SINGLE_BYTE_WESTERN = {
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "latin-1",
    "latin1",
    "iso-8859-15",
    "windows-1252",
    "cp1252",
}


def decode_bytes(data: bytes, declared_charset: str | None) -> str:
    """Decode with the declared charset, then UTF-8, then Windows-1252, then
    Latin-1; never raises."""
    charsets = _charsets_to_try(declared_charset)
    for charset in charsets:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    # A few broken sequences (a truncated line, one stray byte) should not turn
    # a whole body into mojibake: keep the first charset that reads nearly all.
    for charset in charsets:
        try:
            text = data.decode(charset, errors="replace")
        except (LookupError, ValueError):
            continue
        if text.count("\ufffd") * 100 <= len(text):
            return text
    return data.decode("latin-1")


def _charsets_to_try(declared_charset: str | None) -> list[str]:
    charsets: list[str] = []
    if declared_charset:
        name = declared_charset.strip().strip("\"'").lower()
        if name in _SINGLE_BYTE_WESTERN:
            # Valid multi-byte UTF-8 almost never occurs in real Latin-1 text,
            # while UTF-8 labelled as Latin-1 or ASCII is common.
            charsets.append("utf-8")
        if name and name not in _MEANINGLESS_CHARSETS:
            charsets.extend((_CHARSET_ALIASES.get(name, name), name))
    charsets.extend(_FALLBACK_CHARSETS)
    return list(dict.fromkeys(charsets))


def _restore_raw_bytes(text: str, charset: str | None) -> str:
    """The compat32 parser keeps undeclared 8-bit header bytes as surrogates;
    decode them as the text they were meant to be."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw, charset)


def decode_header_text(value: str | Header | None, charset: str | None = None) -> str:
    """RFC 2047 encoded words, raw 8-bit bytes and unknown charsets, as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = _restore_raw_bytes(value, charset)
    try:
        chunks = decode_header(value)
    except (ValueError, LookupError, AssertionError):
        return _restore_raw_bytes(str(value), charset)
    pieces: list[str] = []
    for chunk, chunk_charset in chunks:
        if isinstance(chunk, str):
            pieces.append(chunk)
        elif chunk_charset is None:
            # decode_header hands back the unencoded stretches between encoded
            # words as raw-unicode-escape bytes.
            pieces.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            if chunk_charset.lower() in _MEANINGLESS_CHARSETS:
                chunk_charset = charset
            pieces.append(decode_bytes(chunk, chunk_charset))
    return " ".join("".join(pieces).split())


def header_text(message: Message, name: str) -> str:
    """A header as text; undeclared 8-bit bytes are read in the charset of the
    message's first text part, which is what the sender's mailer used."""
    # The raw value keeps undeclared 8-bit bytes as surrogates; the value
    # Message.get builds from it has already misread them as Latin-1.
    wanted = name.lower()
    raw = next((v for k, v in message.raw_items() if k.lower() == wanted), None)
    try:
        return decode_header_text(raw, _first_charset(message))
    except Exception:  # a header this broken reads as absent, not as a crash
        return ""


def _first_charset(message: Message) -> str | None:
    try:
        charsets = message.get_charsets()
    except (ValueError, LookupError, TypeError):
        return None
    return next((c for c in charsets if c), None)


# Mail clients with broken clocks write years like 3609; such a date orders
# nothing and reads as missing.
_PLAUSIBLE_YEARS = (1900, 2200)


def parse_date(value: str) -> dt.datetime | None:
    """The Date header as an aware datetime, or None when it cannot be read."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not _PLAUSIBLE_YEARS[0] <= parsed.year <= _PLAUSIBLE_YEARS[1]:
        return None
    if parsed.tzinfo is None:
        # RFC 5322 "-0000" means the zone is unknown; UTC is the least wrong guess.
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def first_address(value: str) -> tuple[str, str | None]:
    """(display name, lower-cased address or None) of the first mailbox."""
    try:
        pairs = email.utils.getaddresses([value])
    except (TypeError, ValueError, IndexError):
        pairs = []
    for name, address in pairs:
        address = address.strip().lower()
        if "@" in address:
            return name.strip().strip("\"'"), address
        if name:
            return name.strip().strip("\"'"), None
    return "", None


# Python's own table only, so names do not depend on the host's mime.types.
_BUILT_IN_MIME_TYPES = mimetypes.MimeTypes()

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str) -> list[str]:
    """The message ids in a Message-ID, In-Reply-To or References value."""
    found = _MESSAGE_ID.findall(value)
    if found:
        return list(found)
    # Some mailers leave out the angle brackets around a lone id.
    bare = value.strip()
    return [bare] if bare and " " not in bare and "@" in bare else []


@dataclass
class MailContent:
    body: str
    attachments: list[ImportedAttachment] = field(default_factory=list)


def read_content(message: Message) -> MailContent:
    """The readable body (text/plain preferred, HTML as text otherwise) and every
    attachment, inline images and forwarded messages included."""
    collector = _ContentCollector()
    collector.collect(message, wants_text=True)
    body = "\n\n".join(text.strip() for text in collector.plain if text.strip())
    if not body:
        body = "\n\n".join(text.strip() for text in collector.html if text.strip())
    return MailContent(body=body, attachments=collector.attachments)


class _ContentCollector:
    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[ImportedAttachment] = []

    def collect(self, part: Message, wants_text: bool) -> None:
        content_type = part.get_content_type()
        if content_type.startswith("message/"):
            self._keep_embedded_message(part, content_type)
        elif part.is_multipart():
            self._collect_multipart(part, content_type, wants_text)
        elif content_type.startswith("multipart/"):
            self._keep_unparsed_multipart(part, content_type, wants_text)
        elif _is_attachment(part, content_type):
            self._keep_leaf_attachment(part, content_type)
        elif wants_text and content_type == "text/html":
            self.html.append(html_to_text(_leaf_text(part)))
        elif wants_text:
            self.plain.append(_leaf_text(part))

    def _collect_multipart(
        self, part: Message, content_type: str, wants_text: bool
    ) -> None:
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if content_type != "multipart/alternative" or not wants_text:
            for child in children:
                self.collect(child, wants_text)
            return
        # Alternatives render the same text; read the plain one if there is
        # one, but keep the attachments (inline images) of every alternative.
        chosen = _preferred_alternative(children)
        for child in children:
            self.collect(child, wants_text=child is chosen)

    def _keep_unparsed_multipart(
        self, part: Message, content_type: str, wants_text: bool
    ) -> None:
        raw = part.get_payload()
        if isinstance(raw, str):
            recovered = _reparse_with_first_boundary(raw, content_type)
            if recovered is not None:
                self.collect(recovered, wants_text)
                return
        if wants_text:
            text = _leaf_text(part)
            if "<html" in text.lower():
                self.html.append(html_to_text(text))
            else:
                self.plain.append(text)

    def _keep_embedded_message(self, part: Message, content_type: str) -> None:
        payload = part.get_payload()
        if isinstance(payload, list):
            inner = [m for m in payload if isinstance(m, Message)]
            content = b"\n".join(_message_bytes(m) for m in inner)
        else:
            content = _leaf_bytes(part)
        subtype = content_type.split("/", 1)[1]
        default_name = "forwarded-message.eml" if subtype == "rfc822" else subtype
        filename = _filename(part) or default_name
        if subtype == "rfc822" and not filename.lower().endswith(".eml"):
            filename += ".eml"
        elif subtype != "rfc822" and "." not in filename:
            filename += ".txt"
        self.attachments.append(ImportedAttachment(filename, content_type, content))

    def _keep_leaf_attachment(self, part: Message, content_type: str) -> None:
        filename = _filename(part) or _unnamed_attachment(content_type)
        content = _leaf_bytes(part)
        self.attachments.append(ImportedAttachment(filename, content_type, content))


_FIRST_BOUNDARY = re.compile(r"\A\s*--([^\s]{1,200})[ \t]*\r?\n")


def _reparse_with_first_boundary(raw: str, content_type: str) -> Message | None:
    """Senders that declare one boundary and use another still mark their
    parts: parse again with the boundary the body actually starts with."""
    found = _FIRST_BOUNDARY.match(raw)
    if found is None:
        return None
    boundary = found.group(1).replace('"', "")
    header = f'Content-Type: {content_type}; boundary="{boundary}"\n\n'
    recovered = email.message_from_string(header + raw)
    return recovered if recovered.is_multipart() else None


def _preferred_alternative(children: list[Message]) -> Message | None:
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() == wanted and not _is_attachment(child, wanted):
                return child
    return next((c for c in children if c.is_multipart()), None)


def _is_attachment(part: Message, content_type: str) -> bool:
    disposition = header_text(part, "Content-Disposition").split(";", 1)[0]
    if disposition.strip().lower() == "attachment" or _filename(part):
        return True
    return content_type not in ("text/plain", "text/html") and not (
        content_type.startswith("text/")
    )


def _filename(part: Message) -> str | None:
    try:
        raw = part.get_filename()
    except (ValueError, LookupError, TypeError):
        return None
    if not raw:
        return None
    name = decode_header_text(raw, part.get_content_charset())
    # Never let a sender choose a path: keep the last component only.
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def _unnamed_attachment(content_type: str) -> str:
    extension = _BUILT_IN_MIME_TYPES.guess_extension(content_type) or ".bin"
    return f"attachment{extension}"


def _leaf_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, LookupError, TypeError, AssertionError):
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b""


def _leaf_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except (ValueError, LookupError, TypeError):
        charset = None
    return decode_bytes(_leaf_bytes(part), charset)


def _message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except (ValueError, LookupError, TypeError, UnicodeError):
        return message.as_string().encode("utf-8", errors="replace")


# fmt: off
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
# fmt: on
_INVISIBLE_TAGS = frozenset({"script", "style", "head", "title", "template"})


class _HtmlTextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden_depth += 1
        elif tag in _BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.pieces.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: no markup, scripts or styles."""
    extractor = _HtmlTextExtractor()
    # On malformed markup keep what was read before the parser gave up.
    with contextlib.suppress(AssertionError, ValueError):
        extractor.feed(html)
        extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.pieces).split("\n"))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
