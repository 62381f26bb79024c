"""Added cost of access governance per request (issue 7).

Two ways of admitting the same request are timed in one run, in alternating
rounds so a busy machine weighs on both alike:

* off: the request as before issue 7: an API token looked up by its hash, no
  firewall (the workspace's policy has it off) and no session;
* on: a session token (expiry and revocation checked), the EU/EEA firewall on,
  the client address taken from X-Forwarded-For behind a trusted proxy and its
  country looked up offline.

Both are measured twice: the admission alone (`AccessGuard.admit`), and a whole
HTTP request (`GET /v1/me` through the ASGI stack). The figure is the median
difference per request, with the ratio on to off. Run: `python -m bench.governance`.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from fastapi.testclient import TestClient

from application import workspaces as ws
from application.legal_basis import AccessConfirmation
from bench.core import bench_settings, postgres_database, postgres_server
from infrastructure.bootstrap import Container, build
from infrastructure.governance import AccessGovernance
from interface.api.app import create_app

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "governance.json"
ROUNDS = 21
CALLS_PER_ROUND = 200
REQUESTS_PER_ROUND = 50
PROXY = ("10.0.0.2", 40000)
FORWARDED = {"X-Forwarded-For": "195.88.54.16"}  # a Norwegian address
PASSWORD = "Fjord-Lantern-73-Quill"  # noqa: S105 (a throwaway benchmark account)


def _setup(container: Container) -> tuple[str, str, Any]:
    ctx = container.context
    governance: AccessGovernance = container.extras["governance"]
    plain = ws.create_workspace(ctx, "Governance off")
    guarded = ws.create_workspace(ctx, "Governance on")
    basis = AccessConfirmation("benchmark agent answering the benchmark inbox")
    off_user = ws.create_user(
        ctx,
        plain,
        name="Off",
        email="off@bench.invalid",
        role="agent",
        created_by=None,
        legal_basis=basis,
    )
    admin = ws.create_user(
        ctx,
        guarded,
        name="Admin",
        email="admin@bench.invalid",
        role="administrator",
        created_by=None,
        legal_basis=basis,
    )
    admin_record = ctx.views.user(admin.user_id)
    assert admin_record is not None
    governance.accounts.set_password(admin_record, admin.user_id, PASSWORD)
    governance.guard.change_policy(admin_record, guarded, {"firewall_enabled": True})
    client = governance.guard.resolve_client(PROXY[0], FORWARDED["X-Forwarded-For"])
    session = governance.accounts.login(
        guarded, "admin@bench.invalid", PASSWORD, None, client
    )
    return off_user.token, session.token, client


def _alternate(
    off: Callable[[], object], on: Callable[[], object], per_round: int
) -> dict[str, float]:
    off_rounds: list[float] = []
    on_rounds: list[float] = []
    for _ in range(ROUNDS):
        for work, into in ((off, off_rounds), (on, on_rounds)):
            started = time.perf_counter()
            for _ in range(per_round):
                work()
            into.append((time.perf_counter() - started) / per_round * 1000)
    off_ms = statistics.median(off_rounds)
    on_ms = statistics.median(on_rounds)
    return {
        "off_ms": round(off_ms, 4),
        "on_ms": round(on_ms, 4),
        "added_ms": round(on_ms - off_ms, 4),
        "ratio": round(on_ms / off_ms, 3),
    }


def measure(container: Container) -> dict[str, Any]:
    governance: AccessGovernance = container.extras["governance"]
    guard = governance.guard
    off_token, on_token, on_client = _setup(container)
    off_client = guard.resolve_client("testclient", None)
    admission = _alternate(
        lambda: guard.admit(off_token, off_client, "/v1/me"),
        lambda: guard.admit(
            on_token,
            guard.resolve_client(PROXY[0], FORWARDED["X-Forwarded-For"]),
            "/v1/me",
        ),
        CALLS_PER_ROUND,
    )
    app = create_app(container)
    http = TestClient(app, client=PROXY)
    off_headers = {"Authorization": f"Bearer {off_token}"}
    on_headers = {"Authorization": f"Bearer {on_token}", **FORWARDED}

    def request(headers: dict[str, str]) -> None:
        response = http.get("/v1/me", headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"/v1/me answered {response.status_code}")

    whole = _alternate(
        lambda: request(off_headers), lambda: request(on_headers), REQUESTS_PER_ROUND
    )
    del on_client
    return {"admission": admission, "http_request": whole}


def run(output: Path = OUTPUT) -> dict[str, Any]:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)  # errors only
    )
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        settings = bench_settings(data_dir / "sqlite", f"sqlite:///{data_dir}/g.db")
        settings.trusted_proxies = "10.0.0.0/8"
        container = build(settings, use_default_detector=False)
        try:
            report["sqlite"] = measure(container)
        finally:
            container.close()
        server = postgres_server()
        if server is not None:
            with postgres_database(server) as url:
                settings = bench_settings(data_dir / "postgres", url)
                settings.trusted_proxies = "10.0.0.0/8"
                container = build(settings, use_default_detector=False)
                try:
                    report["postgres"] = measure(container)
                finally:
                    container.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(report))
    return report


def table(report: dict[str, Any]) -> str:
    lines = [
        "store     measured       off ms    on ms   added ms  on/off",
    ]
    for store, figures in report.items():
        for what, f in figures.items():
            lines.append(
                f"{store:<9} {what:<13} {f['off_ms']:>7.3f}  {f['on_ms']:>7.3f}"
                f"  {f['added_ms']:>8.3f}  {f['ratio']:>6.2f}"
            )
    return "\n".join(lines)


main = run

if __name__ == "__main__":
    run()
