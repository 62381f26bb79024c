"""Webhook throughput (issue 9): signed deliveries through verification,
parsing and ingest, against ingesting the same dialogs directly, in one run on
a fresh SQLite store. The ratio is what the webhook layer costs on top of the
ingest every channel pays anyway.

    .venv/bin/python -m bench.integrations [--deliveries 300]
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import tempfile
import time
from pathlib import Path

import orjson
import structlog

from application import cases
from application import workspaces as ws
from application.integration_ports import Delivery
from application.integrations import (
    IntegrationServices,
    _secrets,
    configure_channel,
    receive_webhook,
)
from application.legal_basis import AccessConfirmation
from infrastructure.bootstrap import build
from infrastructure.settings import Settings
from infrastructure.webhooks.generic import GenericWebhook
from infrastructure.webhooks.signing import sign_timestamped

SECRET = secrets.token_hex(16)  # any 16+ characters


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _payload(index: int) -> bytes:
    return orjson.dumps(
        {
            "messages": [
                {
                    "id": f"m-{index}",
                    "thread": f"t-{index}",
                    "text": f"Hello, where is parcel {index}?",
                    "author": {"name": "Kari", "email": f"kari{index}@example.test"},
                }
            ]
        }
    )


def run(deliveries: int) -> dict[str, float]:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)  # errors only
    )
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            environment="test",
            data_dir=Path(folder),
            database_url=f"sqlite:///{folder}/bench.db",
            master_key=_key(),
            blind_index_key=_key(),
            operator_token=_key(),
            signing_key=_key(),
        )
        container = build(settings, use_default_detector=False)
        try:
            ctx = container.context
            svc: IntegrationServices = container.extras["integrations"]
            workspace = ws.create_workspace(ctx, "Bench")
            admin_id = ws.create_user(
                ctx,
                workspace,
                name="Admin",
                email="admin@example.test",
                role="administrator",
                created_by=None,
                legal_basis=AccessConfirmation("benchmark of webhook throughput"),
            ).user_id
            admin = ctx.views.user(admin_id)
            assert admin is not None
            direct_inbox = ws.create_inbox(ctx, workspace, "Direct", "chat")
            hook_inbox = ws.create_inbox(ctx, workspace, "Hook", "chat")
            configure_channel(
                ctx,
                svc,
                admin,
                hook_inbox,
                platform="generic",
                account_id="",
                app_secret=SECRET,
                verify_token=None,
            )
            parser = GenericWebhook(300)
            secrets_ = _secrets(ctx, hook_inbox, "generic")

            # Direct ingest runs before and after the webhooks, so a store that
            # slows as it grows weighs on both sides alike.
            def direct(offset: int) -> float:
                started = time.perf_counter()
                for index in range(offset, offset + deliveries):
                    body = _payload(index)
                    for dialog in parser.parse(secrets_, body).dialogs:
                        cases.ingest_dialog(ctx, workspace, direct_inbox, dialog)
                return time.perf_counter() - started

            now = ctx.clock.now()
            bodies = [_payload(i) for i in range(deliveries)]
            direct(10 * deliveries)  # warm-up: caches, first pages
            before = direct(0)
            started = time.perf_counter()
            for body in bodies:
                headers = sign_timestamped(SECRET, body, now)
                receive_webhook(
                    ctx, svc, hook_inbox, "generic", Delivery(headers, body)
                )
            hooked = time.perf_counter() - started
            after = direct(deliveries)
            baseline = (before + after) / 2

            started = time.perf_counter()
            for body in bodies:
                parser.verify(
                    secrets_, Delivery(sign_timestamped(SECRET, body, now), body), now
                )
            verify_only = time.perf_counter() - started
        finally:
            container.close()
    return {
        "deliveries": deliveries,
        "direct_ingest_per_s": deliveries / baseline,
        "webhook_per_s": deliveries / hooked,
        "webhook_over_direct_time_ratio": hooked / baseline,
        "signature_checks_per_s": deliveries / verify_only,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(run(args.deliveries), indent=2))


if __name__ == "__main__":
    main()
