"""Issue 6.9: from approval to finished file for one person with many messages.

One data subject known by an e-mail address, an X handle and a Facebook account
writes 5,000 messages with 200 attachments into five inboxes over three channels.
The clock runs from `approve` (gathering, audited reads, HTML, JSON, PDF, the
AES-256 archive, sealing it) to the recorded file. Peak memory is measured with
tracemalloc in a second run, and the same at a fifth of the messages shows
whether memory grows with their number.

The same-run baseline is the plain audited read of the same cases (what an agent
reading every case by hand would cost the system), so the ratio says what the
file itself adds. Figures go to stdout and var/bench/access_requests.json.
"""

from __future__ import annotations

import base64
import datetime as dt
import gc
import json
import os
import re
import secrets
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from application import access_requests as ar
from application import cases
from application import workspaces as ws
from application.context import Context
from application.ports import (
    ChannelConnector,
    EmailSender,
    ImportedAttachment,
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
)
from infrastructure.bootstrap import Container, build
from infrastructure.identifiers import FixedClock
from infrastructure.settings import Settings

CHANNELS = ("email", "email", "twitter", "facebook", "email")  # five inboxes
MESSAGES_PER_CASE = 10
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea735818400"
    "00000049454e44ae426082"
)
_CODE = re.compile(r"\b(\d{8})\b")


class _Inbox(EmailSender, ChannelConnector):
    """Keeps the last code per address: the benchmark proves its own identities."""

    kind = "any"

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send(self, to: str, subject: str, body: str) -> None:
        self._keep(to, body)

    def send_direct_message(self, handle: str, text: str) -> None:
        self._keep(handle, text)

    def _keep(self, to: str, text: str) -> None:
        found = _CODE.search(text)
        if found:
            self.codes[to] = found.group(1)


@dataclass(frozen=True)
class Figures:
    messages: int
    attachments: int
    seconds: float
    baseline_seconds: float
    peak_mib: float
    archive_mib: float


def _fresh_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _container(directory: Path) -> Container:
    settings = Settings(
        environment="test",
        data_dir=directory,
        database_url=f"sqlite:///{directory / 'bench.db'}",
        master_key=_fresh_key(),
        blind_index_key=_fresh_key(),
        operator_token=_fresh_key(),
    )
    clock = FixedClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    return build(settings, clock=clock, use_default_detector=False)


def _populate(ctx: Context, messages: int, attachments: int) -> tuple[Any, ...]:
    workspace_id = ws.create_workspace(ctx, "Bench AS")
    agent = ws.create_user(
        ctx,
        workspace_id,
        name="Agent",
        email="agent@example.test",
        role="agent",
        created_by=None,
    )
    inboxes = [
        (ws.create_inbox(ctx, workspace_id, f"Inbox {i}", channel), channel)
        for i, channel in enumerate(CHANNELS)
    ]
    identities = {
        "email": "kari.bench@example.no",
        "twitter": "kari_bench",
        "facebook": "kari.bench.fb",
    }
    every = max(1, messages // attachments)
    written = 0
    case_number = 0
    while written < messages:
        inbox_id, channel = inboxes[case_number % len(inboxes)]
        batch = []
        for _ in range(min(MESSAGES_PER_CASE, messages - written)):
            files: tuple[ImportedAttachment, ...] = ()
            if written % every == 0 and written // every < attachments:
                files = (_attachment(written),)
            batch.append(
                ImportedMessage(
                    external_id=f"m{written}",
                    direction="inbound" if written % 2 == 0 else "outbound",
                    author="Kari Bench" if written % 2 == 0 else "Agent",
                    author_address=identities[channel] if written % 2 == 0 else None,
                    body=f"Melding {written}: pakken med blåbær kom ikke. " * 4,
                    subject="Pakke" if channel == "email" else None,
                    attachments=files,
                )
            )
            written += 1
        cases.ingest_dialog(
            ctx,
            workspace_id,
            inbox_id,
            ImportedDialog(
                thread_key=f"t{case_number}",
                channel=channel,
                subject=ImportedSubject(
                    identities=(
                        (channel, identities[channel]),
                        *(i for i in identities.items() if i[0] != channel),
                    ),
                    name="Kari Bench",
                ),
                messages=tuple(batch),
            ),
        )
        case_number += 1
    return workspace_id, ctx.views.user(agent.user_id), identities


def _attachment(number: int) -> ImportedAttachment:
    if number % 2:
        return ImportedAttachment(f"bilde-{number}.png", "image/png", PNG)
    content = b"%PDF-1.4\n" + os.urandom(20_000)
    return ImportedAttachment(f"kvittering-{number}.pdf", "application/pdf", content)


def _request(
    ctx: Context,
    svc: ar.AccessRequestServices,
    inbox: _Inbox,
    workspace_id: UUID,
    identities: dict[str, str],
) -> UUID:
    started = ar.start_request(ctx, workspace_id, "nb")
    request = ar.request_for_token(ctx, svc, workspace_id, started.token)
    for kind, value in identities.items():
        identity = ar.add_identity(ctx, svc, request, kind, value, status_url="-")
        ar.prove_identity(ctx, request, identity, inbox.codes[value])
    ar.send_for_review(ctx, request)
    request_id: UUID = request.id
    return request_id


def measure(messages: int, attachments: int, directory: Path) -> Figures:
    container = _container(directory)
    try:
        ctx = container.context
        svc: ar.AccessRequestServices = container.extras["access_requests"]
        inbox = _Inbox()
        svc.email = inbox
        svc.connectors = {"twitter": inbox, "facebook": inbox}
        workspace_id, agent, identities = _populate(ctx, messages, attachments)

        baseline = _baseline(ctx, workspace_id, agent, directory)
        first = _request(ctx, svc, inbox, workspace_id, identities)
        gc.collect()
        started = time.perf_counter()
        approval = ar.approve(ctx, svc, agent, first)
        seconds = time.perf_counter() - started

        second = _request(ctx, svc, inbox, workspace_id, identities)
        gc.collect()
        tracemalloc.start()
        ar.approve(ctx, svc, agent, second)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return Figures(
            messages=sum(approval.totals.messages_per_channel.values()),
            attachments=approval.totals.attachments,
            seconds=seconds,
            baseline_seconds=baseline,
            peak_mib=peak / 2**20,
            archive_mib=approval.size / 2**20,
        )
    finally:
        container.close()


def _baseline(ctx: Context, workspace_id: UUID, agent: Any, directory: Path) -> float:
    """Every case opened once through the audited read, written out as JSON."""
    started = time.perf_counter()
    with open(directory / "baseline.jsonl", "w", encoding="utf-8") as out:
        offset = 0
        while batch := ctx.views.cases(workspace_id, limit=500, offset=offset):
            for summary in batch:
                view = cases.open_case(
                    ctx, summary.case_id, cases.ReadContext(agent, "baseline")
                )
                out.write(json.dumps([m.body for m in view.messages]) + "\n")
            offset += len(batch)
    return time.perf_counter() - started


def run(messages: int = 5_000, attachments: int = 200) -> dict[str, Any]:
    small = max(200, messages // 5)
    results = {}
    for size, files in ((small, attachments // 5), (messages, attachments)):
        with tempfile.TemporaryDirectory(prefix="bench-access-") as directory:
            results[size] = measure(size, files, Path(directory))
    big, little = results[messages], results[small]
    report: dict[str, Any] = {"store": "sqlite", "aim_seconds": 10}
    for label, figures in (("small", little), ("large", big)):
        report[label] = {
            "messages": figures.messages,
            "attachments": figures.attachments,
            "approval_to_file_seconds": round(figures.seconds, 2),
            "baseline_audited_read_seconds": round(figures.baseline_seconds, 2),
            "ratio_to_baseline": round(figures.seconds / figures.baseline_seconds, 2),
            "peak_traced_mib": round(figures.peak_mib, 1),
            "archive_mib": round(figures.archive_mib, 1),
        }
    # Flat memory means this stays near 1 while the messages grow fivefold.
    report["peak_ratio_large_to_small"] = round(big.peak_mib / little.peak_mib, 2)
    report["seconds_ratio_large_to_small"] = round(big.seconds / little.seconds, 2)
    for key, value in report.items():
        for name, figure in value.items() if isinstance(value, dict) else [("", value)]:
            print(f"  {key + (' ' + name if name else ''):<46} {figure}")
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "access_requests.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    run()
