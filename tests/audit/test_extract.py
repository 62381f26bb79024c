"""Extracts for an auditor: self-contained, verified offline with only the
stand-alone verifier, and every kind of tampering named."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application import audit, cases
from application.audit import AuditLog, ExtractRequest
from application.errors import InvalidInputError
from infrastructure.audit import verify_extract as v
from infrastructure.audit.merkle import CheckpointSigner
from infrastructure.audit.wiring import AUDIT_LOG
from infrastructure.bootstrap import Container
from infrastructure.identifiers import FixedClock
from tests.builders import World, dialog, world


def _log(container: Container) -> AuditLog:
    log: AuditLog = container.extras[AUDIT_LOG]
    return log


def _two_customers(container: Container) -> tuple[World, cases.IngestResult]:
    ctx = container.context
    w = world(ctx)
    mine = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    other = cases.ingest_dialog(ctx, w.workspace_id, w.inbox_id, dialog())
    for case_id in (mine.case_id, other.case_id, mine.case_id):
        cases.open_case(ctx, case_id, cases.ReadContext(w.agent, "support"))
    container.views.catch_up()
    return w, mine


def _extract_for_subject(container: Container, tmp_path: Path) -> tuple[Path, World]:
    w, mine = _two_customers(container)
    made = audit.extract(
        container.context,
        _log(container),
        w.workspace_id,
        ExtractRequest(subject_id=mine.subject_id),
    )
    path = tmp_path / "extract.zip"
    path.write_bytes(made.content)
    return path, w


def _key(container: Container) -> v.NoteKey:
    return v.NoteKey.parse(_log(container).public_key())


def _rewrite(path: Path, changes: dict[str, bytes]) -> Path:
    """Rewrites files in the extract and recomputes the (unsigned) manifest
    digests, as someone tampering with it would."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files.update(changes)
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {
        name: hashlib.sha256(content).hexdigest()
        for name, content in files.items()
        if name != "manifest.json"
    }
    files["manifest.json"] = json.dumps(manifest).encode()
    tampered = path.with_name("tampered.zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    tampered.write_bytes(buffer.getvalue())
    return tampered


def _entries(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return archive.read("entries.jsonl").splitlines(keepends=True)


def test_subject_extract_verifies_offline_and_shows_only_their_entries(
    container: Container, tmp_path: Path
) -> None:
    path, _ = _extract_for_subject(container, tmp_path)

    report = v.verify_extract(path, _key(container))
    shown = [json.loads(line) for line in _entries(path)]

    assert report.selected == 2
    assert report.redacted == report.tree_size - 2
    assert {leaf["subject_id"] for leaf in shown} == {report.request["subject_id"]}
    assert {leaf["action"] for leaf in shown} == {"case.read"}


def test_verifier_command_prints_ok_and_exits_zero(
    container: Container, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _extract_for_subject(container, tmp_path)

    code = v.main([str(path), "--public-key", _log(container).public_key()])

    assert code == 0
    assert capsys.readouterr().out.startswith("OK:")


def test_tampered_entry_is_named(container: Container, tmp_path: Path) -> None:
    path, _ = _extract_for_subject(container, tmp_path)
    lines = _entries(path)
    lines[1] = lines[1].replace(b"support", b"curious")
    index = json.loads(lines[1])["index"]

    with pytest.raises(v.ExtractError, match="altered") as raised:
        v.verify_extract(
            _rewrite(path, {"entries.jsonl": b"".join(lines)}), _key(container)
        )

    assert raised.value.index == index


def test_tampered_entry_with_its_hash_breaks_the_signed_root(
    container: Container, tmp_path: Path
) -> None:
    path, _ = _extract_for_subject(container, tmp_path)
    lines = _entries(path)
    lines[0] = lines[0].replace(b"support", b"curious")
    with zipfile.ZipFile(path) as archive:
        hashes = bytearray(archive.read("leaf-hashes.bin"))
    start = json.loads(lines[0])["index"] * 32
    hashes[start : start + 32] = v.leaf_hash(lines[0].rstrip(b"\n"))

    with pytest.raises(v.ExtractError, match="signed root"):
        v.verify_extract(
            _rewrite(
                path,
                {"entries.jsonl": b"".join(lines), "leaf-hashes.bin": bytes(hashes)},
            ),
            _key(container),
        )


def test_removed_entry_is_named(container: Container, tmp_path: Path) -> None:
    path, _ = _extract_for_subject(container, tmp_path)
    lines = _entries(path)
    removed = json.loads(lines[1])["index"]

    with pytest.raises(v.ExtractError, match="removed") as raised:
        v.verify_extract(_rewrite(path, {"entries.jsonl": lines[0]}), _key(container))

    assert raised.value.index == removed


def test_reordered_extract_is_named(container: Container, tmp_path: Path) -> None:
    path, _ = _extract_for_subject(container, tmp_path)
    lines = _entries(path)

    with pytest.raises(v.ExtractError, match="out of order"):
        v.verify_extract(
            _rewrite(path, {"entries.jsonl": lines[1] + lines[0]}), _key(container)
        )


def test_forged_tree_head_is_named(container: Container, tmp_path: Path) -> None:
    path, _ = _extract_for_subject(container, tmp_path)
    with zipfile.ZipFile(path) as archive:
        note = archive.read("checkpoint.txt").decode()
    body, _, signatures = note.partition("\n\n")
    origin, size, _root = body.split("\n")
    forged_root = v.checkpoint_body(origin, int(size), b"\x07" * 32)

    with pytest.raises(v.ExtractError, match="forged tree head"):
        v.verify_extract(
            _rewrite(
                path,
                {"checkpoint.txt": (forged_root + "\n" + signatures).encode()},
            ),
            _key(container),
        )


def test_wrong_public_key_is_refused(container: Container, tmp_path: Path) -> None:
    path, _ = _extract_for_subject(container, tmp_path)
    stranger = CheckpointSigner(
        Ed25519PrivateKey.generate().private_bytes_raw(), _key(container).name
    )

    with pytest.raises(v.ExtractError, match="wrong key"):
        v.verify_extract(path, stranger.key)


def test_clock_that_jumped_ahead_is_named(
    container: Container, tmp_path: Path, clock: FixedClock
) -> None:
    path, _ = _extract_for_subject(container, tmp_path)

    with pytest.raises(v.ExtractError, match="jumped ahead"):
        v.verify_extract(path, _key(container), now=clock.now() - dt.timedelta(hours=1))


def test_earlier_checkpoint_dated_after_the_current_is_named(
    container: Container, tmp_path: Path, clock: FixedClock
) -> None:
    ctx = container.context
    w, mine = _two_customers(container)
    clock.advance(dt.timedelta(days=2))
    audit.sign_now(ctx, _log(container), w.workspace_id)
    clock.advance(dt.timedelta(days=-1))
    cases.open_case(ctx, mine.case_id, cases.ReadContext(w.agent, "support"))
    made = audit.extract(
        ctx, _log(container), w.workspace_id, ExtractRequest(case_id=mine.case_id)
    )
    path = tmp_path / "extract.zip"
    path.write_bytes(made.content)

    with pytest.raises(v.ExtractError, match="clock jumped"):
        v.verify_extract(path, _key(container), now=clock.now())


def test_time_range_extract_shows_every_entry_in_the_window(
    container: Container, tmp_path: Path, clock: FixedClock
) -> None:
    ctx = container.context
    w, _ = _two_customers(container)
    window = ExtractRequest(
        since=clock.now() - dt.timedelta(minutes=1),
        until=clock.now() + dt.timedelta(minutes=1),
    )

    made = audit.extract(ctx, _log(container), w.workspace_id, window)
    path = tmp_path / "window.zip"
    path.write_bytes(made.content)

    assert v.verify_extract(path, _key(container)).selected == 3


def test_empty_request_is_refused(container: Container) -> None:
    w, _ = _two_customers(container)

    with pytest.raises(InvalidInputError):
        audit.extract(
            container.context, _log(container), w.workspace_id, ExtractRequest()
        )
