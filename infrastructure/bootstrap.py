"""The composition root: the one place that picks adapters and wires them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from sqlalchemy.engine import Engine

from application.access_requests import shred_exports_of_subject
from application.context import Context
from application.group_commit import GroupCommitter
from application.ports import (
    Clock,
    KeyShredder,
    SensitivityDetector,
)
from application.store import EventStore
from infrastructure.access_requests.wiring import install as install_access_requests
from infrastructure.anonymisation_views import SqlAnonymisationViews
from infrastructure.audit.wiring import install as install_audit
from infrastructure.db import create_db_engine, metadata
from infrastructure.detection import RuleBasedDetector
from infrastructure.eventstore.sealing import (
    ClearPersonalData,
    KeyPreparer,
    SealedPersonalData,
)
from infrastructure.eventstore.transcoder import BytesAsBase64, SetAsList
from infrastructure.governance import GovernanceProjection, access_governance
from infrastructure.identifiers import HmacIdentifierHasher, SystemClock
from infrastructure.integrations import wiring as integrations
from infrastructure.ledger import FileErasureLedger
from infrastructure.outbound import wiring as outbound
from infrastructure.redaction import PresidioRedactor
from infrastructure.settings import ConfigurationError, Settings
from infrastructure.vault import KeyVault
from infrastructure.views import SqlReadModels

log = structlog.get_logger(__name__)

TRANSCODER_TOPIC = "infrastructure.eventstore.transcoder:OrjsonTranscoder"
MAPPER_TOPIC = "infrastructure.eventstore.sealing:SealingMapper"


def event_store_env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    env = {
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
        "MAPPER_TOPIC": MAPPER_TOPIC,
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    if settings.is_postgres:
        parts = urlsplit(settings.database_url)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=parts.path.lstrip("/") or "postgres",
            POSTGRES_HOST=parts.hostname or "127.0.0.1",
            POSTGRES_PORT=str(parts.port or 5432),
            POSTGRES_USER=unquote(parts.username or "postgres"),
            POSTGRES_PASSWORD=unquote(parts.password or ""),
            POSTGRES_POOL_SIZE="10",
            POSTGRES_MAX_OVERFLOW="20",
            POSTGRES_LOCK_TIMEOUT="10",
        )
    else:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(path),
            SQLITE_LOCK_TIMEOUT="30",
        )
    return env


class VaultShredder(KeyShredder):
    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault

    def shred(self, owner_ids: list[Any]) -> int:
        return self._vault.shred(owner_ids)

    def count_keys(self, owner_ids: list[Any]) -> int:
        return self._vault.count_keys(owner_ids)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    vault: KeyVault
    store: EventStore
    views: SqlReadModels
    context: Context
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.context.reads.close()
        self.store.close()
        self.engine.dispose()


def create_our_tables(engine: Engine) -> None:
    metadata.create_all(engine)


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    detector: SensitivityDetector | None = None,
    create_tables: bool | None = None,
    use_default_detector: bool = True,
) -> Container:
    """Wires a running gdprkit. Tables are created here only outside production,
    where alembic owns them (`gdprkit migrate`)."""
    if create_tables is None:
        create_tables = settings.environment != "production"
    if not settings.seal_personal_data and settings.environment == "production":
        raise ConfigurationError(
            "GDPRKIT_SEAL_PERSONAL_DATA=false is for benchmarks only, never production"
        )
    engine = create_db_engine(settings.database_url)
    if create_tables:
        create_our_tables(engine)
    vault = KeyVault(engine, settings.master_key_bytes())
    vault.check_master_key()
    hasher = HmacIdentifierHasher(settings.blind_index_key_bytes())
    pii = (
        SealedPersonalData(vault)
        if settings.seal_personal_data
        else ClearPersonalData()
    )
    store = EventStore(
        env=event_store_env(settings, create_tables=create_tables),
        transcodings=[BytesAsBase64(), SetAsList(), pii],
        before_save=KeyPreparer(vault) if settings.seal_personal_data else None,
    )
    views = SqlReadModels(engine, store, vault)
    access_requests = install_access_requests(views, engine, hasher, vault, settings)
    audit_extras = install_audit(views, engine, settings)
    GovernanceProjection(views).register()
    anonymisation_views = SqlAnonymisationViews(engine, views, vault)
    anonymisation_views.register()
    integration_views = integrations.install_views(views, engine)
    outbound_views = outbound.install_views(views, engine)  # issue 10
    if detector is None and use_default_detector:
        detector = default_detector()
    reads = GroupCommitter(
        lambda batch: store.save(*batch),
        after_commit=views.catch_up,
        window_seconds=settings.group_commit_window_ms / 1000,
    )
    context = Context(
        store=store,
        views=views,
        hasher=hasher,
        clock=clock or SystemClock(),
        reads=reads,
        shredder=VaultShredder(vault),
        ledger=FileErasureLedger(settings.erasure_ledger_path),  # type: ignore[arg-type]
        detector=detector,
        redactor=PresidioRedactor(detector or RuleBasedDetector()),
        anonymisation_views=anonymisation_views,
    )
    views.catch_up()
    container = Container(settings, engine, vault, store, views, context)
    container.extras["access_requests"] = access_requests
    context.subject_copies.append(
        lambda subject_id: shred_exports_of_subject(access_requests, subject_id)
    )
    container.extras.update(audit_extras)
    container.extras["governance"] = access_governance(context, engine, settings)
    container.extras[integrations.EXTRAS_KEY] = integrations.install(
        context, integration_views, engine, access_requests
    )
    container.extras[outbound.EXTRAS_KEY] = outbound.install(
        outbound_views, settings, access_requests
    )
    return container


def default_detector() -> SensitivityDetector | None:
    try:
        from infrastructure.detection import RuleBasedDetector
    except ImportError:
        # TODO(detection): the rule-based detector lands with issue 4; until then
        # messages arrive unflagged.
        return None
    detector: SensitivityDetector = RuleBasedDetector()
    return detector
