"""Core throughput: appends, audited opens, imports, catch-up and sealing cost.

Every figure is measured in one run against fresh stores (a SQLite file under a
temporary folder, and a PostgreSQL database created and dropped by the run), and
is also given as a ratio against a baseline measured in the same run, because
the machines we run on are shared and noisy: absolute rates move from run to run,
ratios much less.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import psycopg
import structlog

from application import cases
from application import workspaces as ws
from application.cases import ReadContext
from application.context import Context
from application.ports import (
    ImportedDialog,
    ImportedMessage,
    ImportedSubject,
    UserRecord,
)
from domain.model import Workspace, log_period_owner
from infrastructure.bootstrap import Container, build
from infrastructure.settings import Settings

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "core.json"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
THREADS = 32


@dataclass(frozen=True)
class Sizes:
    """Bounded so both stores together finish in a few minutes on 2 cores."""

    single_saves: int = 600
    batches: int = 30
    batch_size: int = 100
    dialogs: int = 120
    messages_per_dialog: int = 4
    opens_single: int = 200
    opens_per_thread: int = 25
    threads: int = THREADS
    sealing_rounds: int = 2
    mbox_messages: int | None = None  # None: the whole spamassassin mailbox


# Set-up


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def bench_settings(data_dir: Path, database_url: str, *, seal: bool = True) -> Settings:
    """Fresh random keys every run: no secret is ever kept in the repository."""
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        master_key=random_key(),
        blind_index_key=random_key(),
        operator_token=random_key(),
        seal_personal_data=seal,
    )


def postgres_server() -> str | None:
    """GDPRKIT_TEST_POSTGRES_URL, else 127.0.0.1:5432, else None."""
    url = os.environ.get("GDPRKIT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    parts = urlsplit(url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        # Only loopback: a benchmark never sends traffic off the machine.
        return None
    try:
        with socket.create_connection((parts.hostname, parts.port or 5432), 1):
            pass
        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except (OSError, psycopg.Error):
        return None
    return url


@contextlib.contextmanager
def postgres_database(server: str) -> Iterator[str]:
    name = f"gdprkit_bench_{secrets.token_hex(6)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def sqlite_database(folder: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{folder / name / 'gdprkit.db'}"


@contextlib.contextmanager
def container_for(
    data_dir: Path, database_url: str, *, seal: bool = True
) -> Iterator[Container]:
    container = build(bench_settings(data_dir, database_url, seal=seal))
    try:
        yield container
    finally:
        container.close()


@dataclass(frozen=True)
class World:
    workspace_id: UUID
    inbox_id: UUID
    reader: ReadContext


def world(ctx: Context) -> World:
    workspace_id = ws.create_workspace(ctx, "Benchmark workspace", is_test=True)
    inbox_id = ws.create_inbox(ctx, workspace_id, "Benchmark inbox", "email")
    issued = ws.create_user(
        ctx,
        workspace_id,
        name="Bench Agent",
        email="agent@bench.invalid",
        role="agent",
        created_by=None,
    )
    agent: UserRecord | None = ctx.views.user(issued.user_id)
    if agent is None:
        raise RuntimeError("the benchmark user was not projected")
    reader = ReadContext(agent, "benchmark", client_address="127.0.0.1", country="NO")
    return World(workspace_id, inbox_id, reader)


def create_log_period_key(container: Container, target: World) -> None:
    """Creates this month's access-log key before the first read.

    Without sealing, no `CaseRead` creates it at save time, so the projection
    would create it inside its own SQLite write transaction and wait on itself
    for the busy timeout (30 s): see docs/benchmarks.md, "Known issue".
    """
    owner = log_period_owner(target.workspace_id, dt.datetime.now(dt.UTC))
    container.vault.seal(owner, "client_address", b"", "bench/key")


# Synthetic dialogs: varied enough to exercise the detector, built in code.

_NAMES = ("Kari Nordmann", "Ola Hansen", "Ingrid Berg", "Per Olsen", "Anne Dahl")
_LINES = (
    "Hello, my parcel has not arrived and the tracking page shows nothing.",
    "I was charged twice on my card; please refund one of the payments.",
    "You can call me on +47 912 34 567 after four in the afternoon.",
    "My account number is 1234.56.78903 if you need it for the refund.",
    "I have been on sick leave since March, so please send letters by post.",
    "The order was for my daughter's birthday and it is already late.",
    "Could you change the delivery address to Storgata 12, 0155 Oslo?",
    "Thanks for the quick answer, that solved it for me.",
)


def synthetic_dialogs(count: int, messages: int, tag: str) -> list[ImportedDialog]:
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    lines = itertools.cycle(_LINES)
    dialogs = []
    for number in range(count):
        name = _NAMES[number % len(_NAMES)]
        address = f"customer{number}.{tag}@example.test"
        thread = []
        for index in range(messages):
            inbound = index % 2 == 0
            body = " ".join(next(lines) for _ in range(3 + index % 3))
            thread.append(
                ImportedMessage(
                    external_id=f"{tag}-{number}-{index}",
                    direction="inbound" if inbound else "outbound",
                    author=name if inbound else "Support",
                    author_address=address if inbound else "support@shop.test",
                    body=f"Message {index} of case {number}. {body}",
                    sent_at=start + dt.timedelta(minutes=number * 10 + index),
                    subject="Order question",
                )
            )
        dialogs.append(
            ImportedDialog(
                thread_key=f"{tag}-thread-{number}",
                channel="email",
                subject=ImportedSubject(identities=(("email", address),), name=name),
                messages=tuple(thread),
            )
        )
    return dialogs


# Measurements


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def measure_appends(ctx: Context, sizes: Sizes) -> dict[str, float]:
    """Pure appends: `store.save` with no projection, one small aggregate each."""

    def workspace() -> Workspace:
        return Workspace(
            aggregate_id=uuid4(),
            name="append",
            is_test=True,
            created_at=dt.datetime.now(dt.UTC),
        )

    for _ in range(20):  # warm the pool and the statement caches
        ctx.store.save(workspace())
    started = time.perf_counter()
    for _ in range(sizes.single_saves):
        ctx.store.save(workspace())
    single = rate(sizes.single_saves, time.perf_counter() - started)
    batches = [
        [workspace() for _ in range(sizes.batch_size)] for _ in range(sizes.batches)
    ]
    started = time.perf_counter()
    for batch in batches:
        ctx.store.save(*batch)
    batched = rate(sizes.batches * sizes.batch_size, time.perf_counter() - started)
    return {"single_commit_events_per_s": single, "batched_events_per_s": batched}


def ingest_all(
    ctx: Context, target: World, dialogs: Sequence[ImportedDialog]
) -> tuple[float, int, list[UUID]]:
    """Seconds taken, messages added and cases touched."""
    case_ids = []
    added = 0
    started = time.perf_counter()
    for dialog in dialogs:
        result = cases.ingest_dialog(ctx, target.workspace_id, target.inbox_id, dialog)
        case_ids.append(result.case_id)
        added += result.messages_added
    return time.perf_counter() - started, added, case_ids


def measure_mbox(ctx: Context, target: World, sizes: Sizes) -> dict[str, Any] | None:
    from infrastructure.importers import importer_for

    path = _shared_data() / "email" / "spamassassin_ham.mboxrd"
    if not path.is_file():
        return None
    started = time.perf_counter()
    dialogs = []
    messages = 0
    for item in importer_for("mbox").read(str(path)):
        if isinstance(item, ImportedDialog):
            dialogs.append(item)
            messages += len(item.messages)
            if sizes.mbox_messages is not None and messages >= sizes.mbox_messages:
                break
    read_seconds = time.perf_counter() - started
    ingest_seconds, added, _ = ingest_all(ctx, target, dialogs)
    return {
        "dialogs": len(dialogs),
        "messages": added,
        "read_s": read_seconds,
        "ingest_s": ingest_seconds,
        "messages_per_s": rate(added, read_seconds + ingest_seconds),
    }


def _shared_data() -> Path:
    return Path(os.environ.get("GDPRKIT_SHARED_DATA", REPO.parent / "shared" / "data"))


def run_threads(threads: int, work: Callable[[int], None]) -> float:
    """Runs `work(thread_number)` on `threads` threads started together; seconds."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def body(number: int) -> None:
        barrier.wait()
        try:
            work(number)
        except BaseException as error:
            errors.append(error)

    workers = [
        threading.Thread(target=body, args=(n,), name=f"reader-{n}")
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} reader threads failed") from errors[0]
    return elapsed


def measure_opens(
    ctx: Context,
    target: World,
    case_ids: Sequence[UUID],
    *,
    threads: int,
    per_thread: int,
    audited: bool,
) -> dict[str, float]:
    """Case opens per second; audited ones go through `cases.open_case`."""

    def open_one(case_id: UUID) -> None:
        if audited:
            cases.open_case(ctx, case_id, target.reader)
        else:
            cases.case_view(ctx.store.get(case_id))

    def work(number: int) -> None:
        for index in range(per_thread):
            open_one(case_ids[(number * per_thread + index * 7) % len(case_ids)])

    batches, items = ctx.reads.batches, ctx.reads.items
    started = time.perf_counter()
    run_threads(threads, work)
    # Reads are projected into the access log after their commit: the time it
    # takes to drain that projection belongs to the reads.
    ctx.views.catch_up()
    seconds = time.perf_counter() - started
    # Two stores stay open side by side: hand idle connections back so both
    # together stay well under PostgreSQL's max_connections.
    release_idle_connections(ctx)
    committed = ctx.reads.items - items
    commits = ctx.reads.batches - batches
    return {
        "opens_per_s": rate(threads * per_thread, seconds),
        "average_batch": committed / commits if commits else 0.0,
    }


def release_idle_connections(ctx: Context) -> None:
    engine = getattr(ctx.views, "_engine", None)
    if engine is not None:
        engine.dispose()


def warm_up(ctx: Context, target: World, tag: str) -> list[UUID]:
    _, _, case_ids = ingest_all(ctx, target, synthetic_dialogs(5, 3, tag))
    for case_id in case_ids:
        cases.open_case(ctx, case_id, target.reader)
    return case_ids


def measure_store(
    kind: str, data_dir: Path, sealed_url: str, clear_url: str, sizes: Sizes
) -> dict[str, Any]:
    result: dict[str, Any] = {"store": kind}
    with (
        container_for(data_dir / "sealed", sealed_url) as sealed,
        container_for(data_dir / "clear", clear_url, seal=False) as clear,
    ):
        ctx, clear_ctx = sealed.context, clear.context
        target, clear_target = world(ctx), world(clear_ctx)
        for container, place in ((sealed, target), (clear, clear_target)):
            create_log_period_key(container, place)
        warm_up(ctx, target, "warm")
        warm_up(clear_ctx, clear_target, "warm")
        _note(kind, "appends")
        result["appends"] = measure_appends(ctx, sizes)

        _note(kind, "import, sealed and clear, interleaved")
        imports: dict[str, dict[str, float]] = {
            "sealed": {"s": 0.0, "messages": 0},
            "clear": {"s": 0.0, "messages": 0},
        }
        sealed_cases: list[UUID] = []
        clear_cases: list[UUID] = []
        per_round = max(1, sizes.dialogs // sizes.sealing_rounds)
        for round_number in range(sizes.sealing_rounds):
            for label, c, t, found in (
                ("sealed", ctx, target, sealed_cases),
                ("clear", clear_ctx, clear_target, clear_cases),
            ):
                dialogs = synthetic_dialogs(
                    per_round, sizes.messages_per_dialog, f"{label}{round_number}"
                )
                seconds, added, case_ids = ingest_all(c, t, dialogs)
                imports[label]["s"] += seconds
                imports[label]["messages"] += added
                found.extend(case_ids)
        result["import"] = {
            label: rate(int(figures["messages"]), figures["s"])
            for label, figures in imports.items()
        }

        _note(kind, "case opens")
        opens: dict[str, dict[str, float]] = {}
        for name, threads, per_thread in (
            ("1", 1, sizes.opens_single),
            (str(sizes.threads), sizes.threads, sizes.opens_per_thread),
        ):
            opens[f"unaudited_{name}"] = measure_opens(
                ctx,
                target,
                sealed_cases,
                threads=threads,
                per_thread=per_thread,
                audited=False,
            )
            for round_number in range(sizes.sealing_rounds):
                for label, c, t, found in (
                    ("audited", ctx, target, sealed_cases),
                    ("audited_clear", clear_ctx, clear_target, clear_cases),
                ):
                    measured = measure_opens(
                        c,
                        t,
                        found,
                        threads=threads,
                        per_thread=max(1, per_thread // sizes.sealing_rounds),
                        audited=True,
                    )
                    _merge(opens, f"{label}_{name}", measured, round_number)
        result["opens"] = opens

        _note(kind, "spamassassin mailbox")
        result["mbox"] = measure_mbox(ctx, target, sizes)

        _note(kind, "projection rebuild")
        events = sealed.store.recorder.max_notification_id() or 0
        started = time.perf_counter()
        applied = sealed.views.rebuild()
        seconds = time.perf_counter() - started
        result["rebuild"] = {
            "events": events,
            "applied": applied,
            "events_per_s": rate(applied, seconds),
        }
    result["ratios"] = ratios(result, sizes.threads)
    return result


def _merge(
    into: dict[str, dict[str, float]],
    key: str,
    measured: dict[str, float],
    round_number: int,
) -> None:
    """Averages rounds: rates as a mean of rates, batch sizes likewise."""
    if round_number == 0:
        into[key] = dict(measured)
        return
    for name, value in measured.items():
        into[key][name] = (into[key][name] * round_number + value) / (round_number + 1)


def ratios(result: dict[str, Any], threads: int) -> dict[str, float | None]:
    base = result["appends"]["single_commit_events_per_s"]
    opens = result["opens"]

    def of(value: float, against: float) -> float | None:
        return value / against if against else None

    audited_n = opens[f"audited_{threads}"]["opens_per_s"]
    mbox = result.get("mbox")
    return {
        "batched_x_single_commit": of(result["appends"]["batched_events_per_s"], base),
        "audited_1_x_unaudited_1": of(
            opens["audited_1"]["opens_per_s"], opens["unaudited_1"]["opens_per_s"]
        ),
        f"audited_{threads}_x_unaudited_{threads}": of(
            audited_n, opens[f"unaudited_{threads}"]["opens_per_s"]
        ),
        f"audited_{threads}_x_single_commit": of(audited_n, base),
        "import_messages_x_single_commit": of(result["import"]["sealed"], base),
        "mbox_messages_x_single_commit": None
        if mbox is None
        else of(mbox["messages_per_s"], base),
        "rebuild_x_single_commit": of(result["rebuild"]["events_per_s"], base),
        # Sealing overhead: how much longer the sealed work takes (aim <= 1.3).
        "sealing_overhead_import": of(
            result["import"]["clear"], result["import"]["sealed"]
        ),
        "sealing_overhead_open_1": of(
            opens["audited_clear_1"]["opens_per_s"], opens["audited_1"]["opens_per_s"]
        ),
        f"sealing_overhead_open_{threads}": of(
            opens[f"audited_clear_{threads}"]["opens_per_s"], audited_n
        ),
    }


def _note(kind: str, what: str) -> None:
    print(f"  [{kind}] {what} …", flush=True)


def calibrate() -> dict[str, float]:
    """A CPU-only yardstick, so runs on different machines can be compared."""
    payload = {"text": "x" * 200, "n": list(range(20))}
    count = 20_000
    started = time.perf_counter()
    for _ in range(count):
        json.loads(json.dumps(payload))
    return {"json_roundtrips_per_s": rate(count, time.perf_counter() - started)}


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


# Running and reporting


def run(sizes: Sizes | None = None, output: Path = OUTPUT) -> dict[str, Any]:
    sizes = sizes or Sizes()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(30)  # warnings and up
    )
    report: dict[str, Any] = {
        "machine": machine(),
        "sizes": asdict(sizes),
        "calibration": calibrate(),
        "stores": {},
    }
    server = postgres_server()
    if server is None:
        print("PostgreSQL is not reachable on loopback: SQLite only.")
        report["postgres"] = "unreachable"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gdprkit-bench-") as folder:
        base = Path(folder)
        with (
            sqlite_database(base, "sealed") as sealed_url,
            sqlite_database(base, "clear") as clear_url,
        ):
            report["stores"]["sqlite"] = measure_store(
                "sqlite", base / "sqlite", sealed_url, clear_url, sizes
            )
        if server is not None:
            with (
                postgres_database(server) as sealed_url,
                postgres_database(server) as clear_url,
            ):
                report["stores"]["postgres"] = measure_store(
                    "postgres", base / "postgres", sealed_url, clear_url, sizes
                )
    report["elapsed_s"] = time.perf_counter() - started
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(table(report, sizes.threads))
    print(f"\nwritten to {output}")
    return report


def table(report: dict[str, Any], threads: int) -> str:
    stores = list(report["stores"])
    rows: list[tuple[str, list[str]]] = []

    def figure(label: str, unit: str, pick: Callable[[dict[str, Any]], Any]) -> None:
        cells = []
        for store in stores:
            result = report["stores"][store]
            value = pick(result)
            base = result["appends"]["single_commit_events_per_s"]
            if value is None:
                cells += ["–", "–"]
            else:
                cells += [f"{value:,.0f} {unit}", f"{value / base:.2f}x"]
        rows.append((label, cells))

    def ratio(label: str, key: str) -> None:
        cells = []
        for store in stores:
            value = report["stores"][store]["ratios"].get(key)
            cells += ["–" if value is None else f"{value:.2f}x", ""]
        rows.append((label, cells))

    n = threads
    figure(
        "append, 1 event per commit",
        "ev/s",
        _at("appends", "single_commit_events_per_s"),
    )
    figure(
        "append, 100 events per commit", "ev/s", _at("appends", "batched_events_per_s")
    )
    figure(
        "unaudited load, 1 thread", "op/s", _at("opens", "unaudited_1", "opens_per_s")
    )
    figure(
        f"unaudited load, {n} threads",
        "op/s",
        _at("opens", f"unaudited_{n}", "opens_per_s"),
    )
    figure("audited open, 1 thread", "op/s", _at("opens", "audited_1", "opens_per_s"))
    figure(
        f"audited open, {n} threads",
        "op/s",
        _at("opens", f"audited_{n}", "opens_per_s"),
    )
    figure(
        "audited open, clear, 1 thread",
        "op/s",
        _at("opens", "audited_clear_1", "opens_per_s"),
    )
    figure(
        f"audited open, clear, {n} threads",
        "op/s",
        _at("opens", f"audited_clear_{n}", "opens_per_s"),
    )
    figure("import synthetic, sealed", "msg/s", _at("import", "sealed"))
    figure("import synthetic, clear", "msg/s", _at("import", "clear"))
    figure("import spamassassin mbox", "msg/s", _at("mbox", "messages_per_s"))
    figure("projection rebuild", "ev/s", _at("rebuild", "events_per_s"))
    ratio(
        f"audited/unaudited, {n} threads (aim >= 0.5)", f"audited_{n}_x_unaudited_{n}"
    )
    ratio("audited/unaudited, 1 thread", "audited_1_x_unaudited_1")
    ratio(f"audited {n}/single commit (aim >= 5)", f"audited_{n}_x_single_commit")
    ratio("sealing overhead, import (aim <= 1.3)", "sealing_overhead_import")
    ratio("sealing overhead, open 1 thread", "sealing_overhead_open_1")
    ratio(f"sealing overhead, open {n} threads", f"sealing_overhead_open_{n}")
    batch_cells = []
    for store in stores:
        value = report["stores"][store]["opens"][f"audited_{n}"]["average_batch"]
        batch_cells += [f"{value:.1f}", ""]
    rows.append((f"group-commit batch, {n} threads", batch_cells))

    header = ["figure"]
    for store in stores:
        header += [store, "x 1-ev commit"]
    widths = [max(len(header[0]), *(len(label) for label, _ in rows))]
    for column in range(1, len(header)):
        widths.append(
            max(len(header[column]), *(len(cells[column - 1]) for _, cells in rows))
        )
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row([label, *cells], widths) for label, cells in rows]
    return "\n".join(lines)


def _row(cells: list[str], widths: list[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = [
        cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)
    ]
    return "  ".join([first, *rest])


def _at(*path: str) -> Callable[[dict[str, Any]], Any]:
    def pick(result: dict[str, Any]) -> Any:
        value: Any = result
        for key in path:
            if value is None:
                return None
            value = value[key]
        return value

    return pick
