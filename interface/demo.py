"""The demo workspace created on a developer's first start.

Everything in it is synthetic, generated here with Faker's Norwegian locale, and
labelled as such: no real person's data ships with gdprkit.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import typer
from faker import Faker

from application import cases
from application import workspaces as ws
from application.legal_basis import AccessConfirmation
from application.ports import ImportedDialog, ImportedMessage, ImportedSubject
from infrastructure.bootstrap import Container

DEMO_NAME = "Demo (synthetic data)"
TOKENS_FILE = "demo-tokens.txt"

_CUSTOMER_LINES = [
    "Hei! Jeg har ikke fått pakken min ennå. Ordrenummer {order}.",
    "Kan dere endre leveringsadressen til {street}, {postcode} {city}?",
    "Jeg ble belastet to ganger for samme ordre. Kontonummer mitt er {account}.",
    "Hei, jeg er sykmeldt denne uka og kan ikke hente pakken før mandag.",
    "Fakturaen stemmer ikke. Kan dere ringe meg på {phone}?",
    "Takk for rask hjelp!",
]
_AGENT_LINES = [
    "Hei {first}, takk for at du tok kontakt. Vi ser på saken nå.",
    "Vi har sendt en ny pakke. Du får sporingsnummer på e-post.",
    "Beløpet er refundert og vil være på kontoen innen tre virkedager.",
]


def ensure_demo(container: Container, url: str) -> None:
    """Creates the demo workspace once, and prints how to try it on every start."""
    tokens_path = container.settings.data_dir / TOKENS_FILE
    if not container.views.workspaces():
        _create(container, tokens_path)
    if tokens_path.exists():
        typer.echo(f"gdprkit is running at {url} (OpenAPI: {url}/docs)")
        typer.echo(f"Demo workspace ({DEMO_NAME}); tokens from {tokens_path}:")
        typer.echo(tokens_path.read_text())
        typer.echo(
            "operator token (only for POST /v1/workspaces): "
            f"{container.settings.operator_token_value()}"
        )


def _create(container: Container, tokens_path: os.PathLike[str]) -> None:
    ctx = container.context
    fake = Faker("no_NO")
    fake.seed_instance(2026)
    pick = random.Random(2026)  # noqa: S311 (synthetic demo data, not secrets)
    workspace_id = ws.create_workspace(ctx, DEMO_NAME, is_test=True)
    admin = ws.create_user(
        ctx,
        workspace_id,
        name=fake.name(),
        email=fake.email(),
        role="administrator",
        created_by=None,
    )
    agent = ws.create_user(
        ctx,
        workspace_id,
        name=fake.name(),
        email=fake.email(),
        role="agent",
        created_by=admin.user_id,
        legal_basis=AccessConfirmation("answers the demo inboxes' customer cases"),
    )
    auditor = ws.create_user(
        ctx,
        workspace_id,
        name=fake.name(),
        email=fake.email(),
        role="auditor",
        created_by=admin.user_id,
        legal_basis=AccessConfirmation("audits who read the demo customer cases"),
    )
    email_inbox = ws.create_inbox(ctx, workspace_id, "Kundeservice e-post", "email")
    chat_inbox = ws.create_inbox(ctx, workspace_id, "Chat", "chat")
    start = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)
    for number in range(24):
        first, last = fake.first_name(), fake.last_name()
        address = fake.email()
        values = {
            "order": fake.numerify("#######"),
            "street": fake.street_address(),
            "postcode": fake.postcode(),
            "city": fake.city(),
            "account": fake.numerify("####.##.#####"),
            "phone": fake.phone_number(),
            "first": first,
        }
        sent = start + dt.timedelta(hours=7 * number)
        messages = []
        for turn in range(pick.randint(2, 4)):
            inbound = turn % 2 == 0
            line = pick.choice(_CUSTOMER_LINES if inbound else _AGENT_LINES)
            messages.append(
                ImportedMessage(
                    external_id=f"demo-{number}-{turn}",
                    direction="inbound" if inbound else "outbound",
                    author=f"{first} {last}" if inbound else "Kundeservice",
                    author_address=address if inbound else None,
                    body=line.format(**values),
                    sent_at=sent + dt.timedelta(minutes=17 * turn),
                    subject="Spørsmål om ordre" if turn == 0 else None,
                )
            )
        dialog = ImportedDialog(
            thread_key=f"demo-thread-{number}",
            channel="email" if number % 2 == 0 else "chat",
            subject=ImportedSubject(
                identities=(("email", address),),
                name=f"{first} {last}",
                details={"phone": values["phone"]},
            ),
            messages=tuple(messages),
            tags=("demo", "synthetic"),
        )
        inbox = email_inbox if number % 2 == 0 else chat_inbox
        cases.ingest_dialog(ctx, workspace_id, inbox, dialog)
    lines = [
        f"workspace_id = {workspace_id}",
        f"administrator  user {admin.user_id}  token {admin.token}",
        f"agent          user {agent.user_id}  token {agent.token}",
        f"auditor        user {auditor.user_id}  token {auditor.token}",
        "",
    ]
    fd = os.open(tokens_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines))
