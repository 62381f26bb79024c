"""Retention and the tamper-evident log: purge throughput (cases per second, both
modes), and extract generation and offline verification for 100,000 log entries.

Each figure comes with a baseline measured in the same run, because shared
machines are noisy and ratios move much less than absolute rates:

* Merkle root and extract verification against plain SHA-256 over the same
  leaf bytes (the least any tamper-evident check has to do);
* a purge run against the same action done case by case by hand
  (`anonymise_case`, `erase_subject`), which is the purge's own code path, so
  the ratio is the cost of planning and recording the run.

Run with `python -m bench.retention` or through `make bench`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
import structlog

from application import anonymisation, audit, cases, erasure, retention
from application import workspaces as ws
from application.audit import AuditLog, ExtractRequest
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.audit import verify_extract as offline
from infrastructure.audit.merkle import MerkleTree, encode_leaf, leaf_time
from infrastructure.audit.wiring import audit_log_of, retention_runs_of
from infrastructure.bootstrap import Container, build
from infrastructure.db import audit_leaves
from infrastructure.identifiers import FixedClock
from infrastructure.settings import Settings

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "retention.json"
LOG_ENTRIES = int(os.environ.get("GDPRKIT_BENCH_LOG_ENTRIES", "100000"))
PURGE_CASES = int(os.environ.get("GDPRKIT_BENCH_PURGE_CASES", "150"))
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
PAST = {"anonymise": "anonymised", "erase": "erased"}


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _container(folder: Path, name: str, clock: FixedClock) -> Container:
    settings = Settings(
        environment="test",
        data_dir=folder / name,
        database_url=f"sqlite:///{folder / name / 'gdprkit.db'}",
        master_key=_key(),
        blind_index_key=_key(),
        operator_token=_key(),
        signing_key=_key(),
    )
    return build(settings, clock=clock, use_default_detector=False)


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# The log: 100,000 entries


def _leaves(workspace_id: UUID, count: int) -> list[bytes]:
    agents = [str(uuid4()) for _ in range(20)]
    subjects = [str(uuid4()) for _ in range(count // 100)]
    return [
        encode_leaf(
            index,
            {
                "workspace_id": str(workspace_id),
                "notification_id": 10_000 + index,
                "action": "case.read",
                "occurred_at": leaf_time(START + dt.timedelta(seconds=index)),
                "actor_id": agents[index % len(agents)],
                "case_id": str(uuid4()),
                "subject_id": subjects[index % len(subjects)],
                "purpose": "support",
                "country": "NO",
                "sealed_address_sha256": hashlib.sha256(bytes(index)).hexdigest(),
            },
        )
        for index in range(count)
    ]


def _fill_log(container: Container, workspace_id: UUID, leaves: list[bytes]) -> None:
    # Straight into the log's table: this measures extracts, not projection.
    rows = [
        {
            "workspace_id": str(workspace_id),
            "leaf_index": index,
            "notification_id": 10_000 + index,
            "leaf_hash": offline.leaf_hash(leaf),
            "leaf": leaf,
            "period": "2026-01",
        }
        for index, leaf in enumerate(leaves)
    ]
    with container.engine.begin() as c:
        c.execute(sa.insert(audit_leaves), rows)


def log_figures(folder: Path) -> dict[str, Any]:
    clock = FixedClock(START + dt.timedelta(days=2))
    container = _container(folder, "log", clock)
    try:
        workspace_id = ws.create_workspace(container.context, "Bench log")
        leaves = _leaves(workspace_id, LOG_ENTRIES)
        _fill_log(container, workspace_id, leaves)
        log = audit_log_of(container)
        key = offline.NoteKey.parse(log.public_key())
        plain, _ = _timed(lambda: [hashlib.sha256(leaf).digest() for leaf in leaves])
        root, _ = _timed(
            lambda: MerkleTree([offline.leaf_hash(leaf) for leaf in leaves]).root()
        )
        figures: dict[str, Any] = {
            "entries": LOG_ENTRIES,
            "baseline_plain_sha256_s": round(plain, 4),
            "merkle_root_s": round(root, 4),
            "merkle_root_vs_plain": round(root / plain, 2),
        }
        one_subject = ExtractRequest(
            subject_id=UUID(json.loads(leaves[0])["subject_id"])
        )
        everything = ExtractRequest(since=START, until=START + dt.timedelta(days=2))
        for name, request in (("subject", one_subject), ("all", everything)):
            made_s, made = _timed(
                lambda request=request: audit.extract(  # type: ignore[misc]
                    container.context, log, workspace_id, request
                )
            )
            path = folder / f"extract-{name}.zip"
            path.write_bytes(made.content)
            check_s, report = _timed(
                lambda path=path: offline.verify_extract(path, key, now=clock.now())  # type: ignore[misc]
            )
            figures[f"extract_{name}"] = {
                "selected": report.selected,
                "zip_bytes": len(made.content),
                "generate_s": round(made_s, 3),
                "verify_s": round(check_s, 3),
                "verify_vs_plain": round(check_s / plain, 1),
                "verify_entries_per_s": round(LOG_ENTRIES / check_s),
            }
        return figures
    finally:
        container.close()


# Purges


def _dialog(index: int) -> ImportedDialog:
    address = f"bench{index}-{uuid4().hex[:8]}@example.test"
    return ImportedDialog(
        thread_key=f"t{index}-{uuid4()}",
        channel="email",
        subject=ImportedSubject(identities=(("email", address),), name="Kari Nord"),
        messages=(
            ImportedMessage(
                external_id=f"m{index}-{uuid4()}",
                direction="inbound",
                author="Kari Nord",
                author_address=address,
                body="My parcel did not arrive; call me on 22 33 44 55.",
                sent_at=START,
                subject="Parcel",
            ),
        ),
    )


def _closed_cases(container: Container, count: int) -> tuple[UUID, list[Any]]:
    ctx = container.context
    workspace_id = ws.create_workspace(ctx, f"Bench purge {uuid4().hex[:6]}")
    inbox_id = ws.create_inbox(ctx, workspace_id, "Inbox", "email")
    agent_id = ws.create_user(
        ctx,
        workspace_id,
        name="Agent",
        email=f"agent-{uuid4().hex[:6]}@example.test",
        role="agent",
        created_by=None,
    ).user_id
    agent = ctx.views.user(agent_id)
    results = [
        cases.ingest_dialog(ctx, workspace_id, inbox_id, _dialog(i))
        for i in range(count)
    ]
    for result in results:
        cases.close_case(ctx, agent, result.case_id)  # type: ignore[arg-type]
    return workspace_id, results


def purge_figures(folder: Path) -> dict[str, Any]:
    clock = FixedClock(START)
    container = _container(folder, "purge", clock)
    ctx = container.context
    log: AuditLog = audit_log_of(container)
    runs = retention_runs_of(container)
    figures: dict[str, Any] = {"cases": PURGE_CASES}
    try:
        by_hand = {
            "anonymise": lambda w, r: anonymisation.anonymise_case(
                ctx, w, r.case_id, reason="bench", actor_id=None
            ),
            "erase": lambda w, r: erasure.erase_subject(
                ctx, w, r.subject_id, reason="bench", request_ref="b", actor_id=None
            ),
        }
        for mode, manual in by_hand.items():
            baseline_ws, baseline = _closed_cases(container, PURGE_CASES)
            purged_ws, _ = _closed_cases(container, PURGE_CASES)
            retention.change_policy(ctx, purged_ws, {"closed_case_action": mode}, None)
            clock.advance(dt.timedelta(days=400))
            hand_s, _ = _timed(
                lambda m=manual, w=baseline_ws, b=baseline: [m(w, r) for r in b]  # type: ignore[misc]
            )
            purge_s, report = _timed(
                lambda w=purged_ws: retention.purge_workspace(ctx, runs, log, w)  # type: ignore[misc]
            )
            figures[mode] = {
                "purged": report.counts.get(f"case.{PAST[mode]}", 0),
                "purge_cases_per_s": round(PURGE_CASES / purge_s, 1),
                "baseline_by_hand_cases_per_s": round(PURGE_CASES / hand_s, 1),
                "purge_vs_by_hand": round(purge_s / hand_s, 2),
            }
        return figures
    finally:
        container.close()


def run(output: Path = OUTPUT) -> dict[str, Any]:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)  # errors only
    )
    with tempfile.TemporaryDirectory(prefix="gdprkit-bench-retention-") as folder:
        results = {
            "store": "sqlite",
            "log": log_figures(Path(folder)),
            "purge": purge_figures(Path(folder)),
        }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return results


def main() -> None:
    run()


if __name__ == "__main__":
    main()
