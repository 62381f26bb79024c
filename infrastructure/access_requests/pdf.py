"""The access file as PDF, written page by page with fpdf2.

WeasyPrint laid out the HTML at about 25 messages a second; this writes the same
content (every heading, message, field, attachment note, inline image, table and
notice the HTML has) as text lines directly, wrapping them itself with cached
glyph widths, at thousands of messages a second. The text stays extractable, the
DejaVu fonts carry Norwegian letters, and the file is encrypted with AES-256.

Nothing here can reach outside the process: fpdf2 only fetches when given a URL
or path, and images arrive as bytes, never as names.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image

from application.access_export import (
    ExportCase,
    ExportHeader,
    ExportLogEntry,
    ExportProfile,
    ExportTotals,
)
from application.ports import ExternalRecord

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FAMILY = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_MONO = "DejaVuMono"
_BODY_PT = 9.5
_LINE_MM = 4.6
_IMAGE_MAX_MM = 120.0
# fpdf2 warns about glyphs a font lacks by quoting them: characters of someone's
# messages must not reach the logs.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)
# Control characters other than line breaks have no glyph and could confuse
# readers of the text layer; tabs become spaces.
_DROP = {c: None for c in range(32) if c not in (9, 10)} | {9: "    ", 127: None}


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, "", 7.5)
        label = f"{self.page_no()} / {{nb}}"
        self.cell(0, 5, label, align="R")


class PdfExport:
    """Fed in the order the HTML is written; `finish` encrypts and saves."""

    def __init__(self, t: dict[str, str], when: Any) -> None:
        self.t = t
        self._when = when
        self._pdf = _Document(format="A4")
        self._pdf.set_margins(14, 16, 14)
        self._pdf.set_auto_page_break(True, 16)
        for style, name in _FONT_FILES.items():
            self._pdf.add_font(_FAMILY, style, str(FONT_DIR / name))
        self._pdf.add_font(_MONO, "", str(FONT_DIR / "DejaVuSansMono.ttf"))
        self._pdf.set_title(t["title"])
        self._pdf.set_creator("gdprkit")
        self._pdf.alias_nb_pages()
        self._pdf.add_page()
        # Widths per character and style: bounded by the alphabet, not the text.
        self._widths: dict[tuple[str, float, str], float] = {}
        self._style = ("", _BODY_PT)

    # -- document parts -------------------------------------------------

    def intro(self, header: ExportHeader, profiles: list[ExportProfile]) -> None:
        t = self.t
        self._heading(t["title"], 16)
        self._text(t["intro"])
        self._pairs(
            [
                (t["organisation"], header.workspace_name),
                (t["request"], str(header.request_id)),
                (t["submitted"], self._when(header.submitted_at)),
                (t["generated"], self._when(header.generated_at)),
            ]
        )
        self._heading(t["identities"], 12)
        for identity in header.identities:
            self._text(f"• {identity.kind}: {identity.value} ({t['proven']})")
        self._text(t["contents"])
        self._heading(t["profiles"], 12)
        for profile in profiles:
            if profile.erased:
                self._text(t["profile_erased"], bold=True)
            self._pairs(
                [(t["name"], profile.name or "–")]
                + [(t["identity"], identity) for identity in profile.identities]
                + list(profile.details)
            )
        if not profiles:
            self._text(t["no_profile"])
        self._heading(t["cases"], 12)

    def case(
        self, case: ExportCase, number: int, messages: list[dict[str, Any]]
    ) -> None:
        t = self.t
        self._heading(f"{t['case']} {number}: {case.inbox_name} ({case.channel})", 10.5)
        closed = (
            f" · {t['closed']}: {self._when(case.closed_at)}" if case.closed_at else ""
        )
        role = t["role_subject"] if case.role == "subject" else t["role_author"]
        self._text(
            f"{t['status']}: {case.status} · {t['opened']}: "
            f"{self._when(case.opened_at)}{closed} · {role} · {case.case_id}",
            size=8.5,
        )
        if case.erased:
            self._text(t["case_erased"], bold=True)
        if case.withheld_messages:
            self._text(t["withheld"] % case.withheld_messages, bold=True)
        if case.profile:
            self._text(" · ".join(f"{k}: {v}" for k, v in case.profile), size=8.5)
        if case.tags:
            self._text(f"{t['tags']}: {', '.join(case.tags)}", size=8.5)
        for key, value in case.other_fields:
            self._text(f"{key}: {value}", size=8.5)
        for item in messages:
            self._message(item)

    def outro(
        self,
        totals: ExportTotals,
        log: Iterable[ExportLogEntry],
        external: Iterable[ExternalRecord],
    ) -> None:
        t = self.t
        if not totals.cases:
            self._text(t["no_cases"], bold=True)
        self._heading(t["external"], 12)
        any_external = False
        for record in external:
            any_external = True
            self._heading(f"{record.source}: {record.label}", 10.5)
            when = f" · {self._when(record.occurred_at)}" if record.occurred_at else ""
            self._text(f"{record.category}{when}", size=8.5)
            self._pairs(list(record.fields))
        if not any_external:
            self._text(t["no_external"])
        for gap in totals.source_gaps:
            self._text(f"{t['source_gap']}: {gap}", bold=True)
        self._heading(t["log"], 12)
        self._text(t["log_intro"])
        self._text(
            f"{t['when']} | {t['action']} | {t['who']} | {t['purpose']} | "
            f"{t['country']}",
            bold=True,
            size=8,
        )
        for entry in log:
            self._text(
                f"{self._when(entry.occurred_at)} | {entry.action} | {entry.actor} | "
                f"{entry.purpose} | {entry.country or '–'}",
                size=8,
            )
        self._heading(t["rights"], 12)
        self._text(t["rights_text"])

    def finish(self, password: str, target: Path) -> Path:
        self._pdf.set_encryption(
            owner_password=password,
            user_password=password,
            encryption_method=EncryptionMethod.AES_256,
        )
        self._pdf.output(str(target))
        return target

    # -- pieces -----------------------------------------------------------

    def _message(self, item: dict[str, Any]) -> None:
        t = self.t
        message = item["message"]
        pdf = self._pdf
        pdf.ln(1.5)
        direction = t["inbound"] if message.direction == "inbound" else t["outbound"]
        self._text(
            f"{direction} · {self._when(message.sent_at)} · {message.author}",
            bold=True,
            size=8.5,
        )
        if message.subject_line:
            self._text(message.subject_line, bold=True)
        self._text(message.body)
        if message.fields:
            self._pairs(list(message.fields))
        for a in item["attachments"]:
            where = f" {a['archive_path']}" if a["archive_path"] else ""
            self._text(
                f"{t['attachment']}: {a['filename']} ({a['content_type']}, "
                f"{a['size']} B) – {a['note']}{where}",
                size=8.5,
            )
            if a.get("image") is not None:
                self._image(a["image"])

    def _image(self, content: bytes) -> None:
        """At 96 dpi, shrunk to the text width and 12 cm high at most."""
        pdf = self._pdf
        try:
            with Image.open(io.BytesIO(content)) as probe:
                width_px, height_px = probe.size
            width = width_px * 25.4 / 96
            height = height_px * 25.4 / 96
            scale = min(1.0, pdf.epw / width, _IMAGE_MAX_MM / height)
            width, height = width * scale, height * scale
            if pdf.y + height > pdf.page_break_trigger:
                pdf.add_page()
            pdf.image(io.BytesIO(content), x=pdf.l_margin, y=pdf.y, w=width, h=height)
            pdf.y += height + 1
        except Exception:  # an image that cannot be drawn stays named in the text
            return

    def _heading(self, text: str, size: float) -> None:
        self._pdf.ln(2.5)
        self._text(text, bold=True, size=size, line=size * 0.5)
        self._pdf.ln(0.8)

    def _pairs(self, pairs: list[tuple[str, str]]) -> None:
        for label, value in pairs:
            self._text(f"{label}: {value}", size=8.5)

    def _text(
        self,
        text: str,
        *,
        bold: bool = False,
        size: float = _BODY_PT,
        line: float | None = None,
    ) -> None:
        pdf = self._pdf
        style = "B" if bold else ""
        if self._style != (style, size):
            pdf.set_font(_FAMILY, style, size)
            self._style = (style, size)
        height = line if line is not None else max(_LINE_MM, size * 0.48)
        clean = unicodedata.normalize("NFC", text).translate(_DROP)
        for row in self._wrap(clean, style, size, pdf.epw):
            if pdf.y + height > pdf.page_break_trigger:
                pdf.add_page()
                pdf.set_font(_FAMILY, style, size)
            if row:
                pdf.text(pdf.l_margin, pdf.y + height * 0.78, row)
            pdf.y += height

    def _wrap(self, text: str, style: str, size: float, room: float) -> list[str]:
        """Greedy line breaking on spaces; words wider than a line are cut."""
        rows: list[str] = []
        space = self._width(" ", style, size)
        for paragraph in text.split("\n"):
            current: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                width = self._width(word, style, size)
                while width > room:
                    head, word = self._cut(word, style, size, room)
                    if current:
                        rows.append(" ".join(current))
                        current, used = [], 0.0
                    rows.append(head)
                    width = self._width(word, style, size)
                if current and used + space + width > room:
                    rows.append(" ".join(current))
                    current, used = [], 0.0
                if current:
                    used += space
                current.append(word)
                used += width
            rows.append(" ".join(current))
        return rows

    def _cut(self, word: str, style: str, size: float, room: float) -> tuple[str, str]:
        used = 0.0
        for index, char in enumerate(word):
            used += self._width(char, style, size)
            if used > room:
                return word[: max(index, 1)], word[max(index, 1) :]
        return word, ""

    def _width(self, text: str, style: str, size: float) -> float:
        total = 0.0
        widths = self._widths
        for char in text:
            key = (style, size, char)
            found = widths.get(key)
            if found is None:
                found = widths[key] = self._pdf.get_string_width(char)
            total += found
        return total
