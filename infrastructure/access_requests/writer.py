"""The access file: HTML, PDF, JSON and the original attachments in one AES-256
encrypted ZIP.

Cases arrive one at a time and are rendered at once: the HTML and the JSON copy
are written to scratch files as they grow and copied into the archive in blocks,
attachments go straight into the archive, and the PDF is written page by page
(see pdf.py). Memory therefore depends on the largest case, not on the number of
cases, apart from the PDF's compact page buffers.

Everything from the case is text to Jinja2 with autoescaping, and the document
carries a Content-Security-Policy that forbids scripts and every external
reference; the PDF writer is given bytes only, never a name it could fetch.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import jinja2
import orjson
import pyzipper

from application.access_export import (
    ExportAttachment,
    ExportCase,
    ExportContent,
    ExportWriter,
    WrittenExport,
)
from infrastructure.access_requests.labels import LABELS
from infrastructure.access_requests.pdf import PdfExport

MIB = 1024 * 1024
_TEMPLATES = Path(__file__).with_name("templates")
_INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Types whose content can act when opened (scripts, programs): named in the file
# when the declared type hides them.
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/plain": ".txt",
    "text/csv": ".csv",
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
# Rendering aids, not data: the JSON copy lists the attachment without them.
_NOT_IN_JSON = frozenset({"data_uri", "note", "image"})
_ZIP_FAMILY = ("application/vnd.openxmlformats", "application/vnd.oasis", "zip")


def sniff(data: bytes) -> str | None:
    """The type the bytes really are, for the kinds that matter here."""
    head = data[:64]
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"MZ", "application/x-msdownload"),
        (b"\x7fELF", "application/x-executable"),
    )
    for signature, kind in signatures:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<script", b"<body")):
        return "text/html"
    if text.startswith((b"<svg", b"<?xml")):
        return "image/svg+xml"
    return None


def declared_type_is_false(declared: str, sniffed: str | None) -> bool:
    declared = _ALIASES.get(declared.lower(), declared.lower())
    if sniffed is None:
        return declared.startswith("image/")
    if sniffed == "application/zip":
        return not any(part in declared for part in _ZIP_FAMILY)
    return sniffed != declared


class ArchiveExportWriter(ExportWriter):
    def __init__(
        self,
        work_dir: Path,
        *,
        max_attachment_bytes: int = 100 * MIB,
        max_inline_image_bytes: int = 2 * MIB,
    ) -> None:
        self._work_dir = work_dir
        self._max_attachment = max_attachment_bytes
        self._max_inline = max_inline_image_bytes
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def write(self, content: ExportContent, password: str) -> WrittenExport:
        self._work_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="export-", dir=self._work_dir))
        archive = self._work_dir / f"{content.header.export_id}.zip"
        try:
            self._write_archive(content, password, scratch, archive)
        except BaseException:
            archive.unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        digest = hashlib.sha256()
        with open(archive, "rb") as handle:
            while block := handle.read(MIB):
                digest.update(block)
        return WrittenExport(str(archive), archive.stat().st_size, digest.hexdigest())

    def _write_archive(
        self, content: ExportContent, password: str, scratch: Path, archive: Path
    ) -> None:
        header = content.header
        lang = header.language if header.language in LABELS else "en"
        names = _Names(lang)
        render = _Renderer(self._env, LABELS[lang], lang, header)
        pdf = PdfExport(LABELS[lang], _when)
        with pyzipper.AESZipFile(
            archive, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
        ) as zipped:
            zipped.setpassword(password.encode())
            zipped.setencryption(pyzipper.WZ_AES, nbits=256)
            with (
                open(scratch / "document.html", "w", encoding="utf-8") as html,
                open(scratch / "data.json", "wb") as data,
            ):
                self._write_documents(content, zipped, render, pdf, html, data)
            zipped.write(scratch / "document.html", names.html)
            zipped.write(scratch / "data.json", "data.json")
            zipped.write(pdf.finish(password, scratch / "document.pdf"), names.pdf)

    def _write_documents(
        self,
        content: ExportContent,
        zipped: Any,
        render: _Renderer,
        pdf: PdfExport,
        html: IO[str],
        data: IO[bytes],
    ) -> None:
        profiles = list(content.profiles)
        intro = render("intro.html", profiles=profiles)
        html.write(render.opening + intro)
        pdf.intro(content.header, profiles)
        _json_start(data, content, profiles)
        for number, case in enumerate(content.cases, start=1):
            messages = self._attachments(case, number, zipped, render.t)
            fragment = render("case.html", case=case, number=number, messages=messages)
            html.write(fragment)
            pdf.case(case, number, messages)
            data.write(b"," if number > 1 else b"")
            data.write(orjson.dumps(_case_json(case, messages)))
        log = list(content.access_log)
        external = list(content.external)
        outro = render("outro.html", totals=content.totals, log=log, external=external)
        html.write(outro + "</body></html>\n")
        pdf.outro(content.totals, log, external)
        _json_end(data, content, log, external)

    def _attachments(
        self,
        case: ExportCase,
        number: int,
        zipped: Any,
        t: dict[str, str],
    ) -> list[dict[str, Any]]:
        rendered = []
        for message_number, message in enumerate(case.messages, start=1):
            items = [
                self._attachment(
                    a,
                    f"attachments/case-{number:04d}/{message_number:04d}-{i}",
                    zipped,
                    t,
                )
                for i, a in enumerate(message.attachments, start=1)
            ]
            rendered.append({"message": message, "attachments": items})
        return rendered

    def _attachment(
        self, a: ExportAttachment, stem: str, zipped: Any, t: dict[str, str]
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "archive_path": None,
            "data_uri": None,
        }
        if a.content is None:
            return {**item, "note": t["att_erased"], "status": "erased"}
        if len(a.content) > self._max_attachment:
            return {**item, "note": t["att_too_large"], "status": "too_large"}
        sniffed = sniff(a.content)
        false_type = declared_type_is_false(a.content_type, sniffed)
        # Names in a ZIP are not encrypted: the original file name stays inside
        # the encrypted documents, the archive shows only a neutral one.
        extension = ".bin" if false_type else _EXTENSIONS.get(a.content_type, ".bin")
        item["archive_path"] = stem + extension
        zipped.writestr(item["archive_path"], a.content)
        if false_type:
            note = t["att_mismatch"] % (sniffed or "unknown")
            return {**item, "note": note, "status": "type_mismatch"}
        if sniffed in _INLINE_IMAGES and len(a.content) <= self._max_inline:
            encoded = base64.b64encode(a.content).decode("ascii")
            item["data_uri"] = f"data:{sniffed};base64,{encoded}"
            item["image"] = a.content
            return {**item, "note": t["att_image"], "status": "included"}
        return {**item, "note": t["att_included"], "status": "included"}


class _Names:
    def __init__(self, lang: str) -> None:
        stem = "innsyn" if lang == "nb" else "access-request"
        self.html = f"{stem}.html"
        self.pdf = f"{stem}.pdf"


class _Renderer:
    def __init__(
        self,
        env: jinja2.Environment,
        t: dict[str, str],
        lang: str,
        header: Any,
    ) -> None:
        self._env = env
        self.t = t
        self._common = {"t": t, "lang": lang, "header": header, "when": _when}
        self.opening = self("open.html")

    def __call__(self, template: str, **values: Any) -> str:
        return self._env.get_template(template).render(**self._common, **values)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "–"
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _json_start(data: IO[bytes], content: ExportContent, profiles: list[Any]) -> None:
    header = content.header
    opening = {
        "format": "gdprkit.access-export/1",
        "request_id": str(header.request_id),
        "export_id": str(header.export_id),
        "organisation": header.workspace_name,
        "submitted_at": header.submitted_at.isoformat(),
        "generated_at": header.generated_at.isoformat(),
        "identities": [
            {"kind": i.kind, "value": i.value, "proven": i.proven}
            for i in header.identities
        ],
        "profiles": [
            {
                "subject_id": str(p.subject_id),
                "erased": p.erased,
                "name": p.name,
                "identities": list(p.identities),
                "details": dict(p.details),
            }
            for p in profiles
        ],
    }
    # The object stays open: cases are appended one by one.
    data.write(orjson.dumps(opening)[:-1] + b',"cases":[')


def _case_json(case: ExportCase, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "case_id": str(case.case_id),
        "inbox": case.inbox_name,
        "channel": case.channel,
        "status": case.status,
        "role": case.role,
        "erased": case.erased,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": None if case.closed_at is None else case.closed_at.isoformat(),
        "profile": dict(case.profile),
        "tags": list(case.tags),
        "other_fields": [list(pair) for pair in case.other_fields],
        "withheld_messages": case.withheld_messages,
        "messages": [
            {
                "message_id": str(m["message"].message_id),
                "direction": m["message"].direction,
                "author": m["message"].author,
                "subject": m["message"].subject_line,
                "body": m["message"].body,
                "sent_at": m["message"].sent_at.isoformat(),
                "fields": [list(pair) for pair in m["message"].fields],
                "attachments": [
                    {k: v for k, v in a.items() if k not in _NOT_IN_JSON}
                    for a in m["attachments"]
                ],
            }
            for m in messages
        ],
    }


def _json_end(
    data: IO[bytes], content: ExportContent, log: list[Any], external: list[Any]
) -> None:
    totals = content.totals
    closing = {
        "access_log": [
            {
                "occurred_at": e.occurred_at.isoformat(),
                "action": e.action,
                "actor": e.actor,
                "purpose": e.purpose,
                "country": e.country,
            }
            for e in log
        ],
        "external_records": [
            {
                "source": r.source,
                "category": r.category,
                "label": r.label,
                "fields": [list(pair) for pair in r.fields],
                "occurred_at": None
                if r.occurred_at is None
                else r.occurred_at.isoformat(),
            }
            for r in external
        ],
        "source_gaps": list(totals.source_gaps),
        "totals": {
            "cases": totals.cases,
            "messages_per_channel": totals.messages_per_channel,
            "attachments": totals.attachments,
        },
    }
    data.write(b"]," + orjson.dumps(closing)[1:])
