"""Wires access requests into a running gdprkit: projections, file store, writer
and the e-mail sender, configured from GDPRKIT_* environment keys."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from application.access_requests import AccessRequestServices
from application.ports import EmailSender, IdentifierHasher
from infrastructure.access_requests.export_store import SealedFileExportStore
from infrastructure.access_requests.smtp import SmtpEmailSender, UnconfiguredEmailSender
from infrastructure.access_requests.views import SqlAccessRequestReadModel
from infrastructure.access_requests.writer import MIB, ArchiveExportWriter
from infrastructure.settings import Settings
from infrastructure.vault import KeyVault
from infrastructure.views import SqlReadModels

EXTRAS_KEY = "access_requests"


class AccessRequestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GDPRKIT_", extra="ignore")

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "gdprkit@localhost"
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = False
    access_link_days: int = Field(default=7, ge=1, le=90)
    export_max_attachment_mb: int = Field(default=100, ge=1)


def install(
    views: SqlReadModels,
    engine: Engine,
    hasher: IdentifierHasher,
    vault: KeyVault,
    settings: Settings,
    config: AccessRequestSettings | None = None,
) -> AccessRequestServices:
    """Registers the projections (before the first catch-up) and builds the
    services the portal, the queue and the CLI use."""
    config = config or AccessRequestSettings()
    model = SqlAccessRequestReadModel(engine, views, hasher, vault)
    model.install()
    email: EmailSender = (
        SmtpEmailSender(
            config.smtp_host,
            config.smtp_port,
            config.smtp_from,
            username=config.smtp_username,
            password=config.smtp_password,
            starttls=config.smtp_starttls,
        )
        if config.smtp_host
        else UnconfiguredEmailSender()
    )
    data_dir = Path(settings.data_dir)
    return AccessRequestServices(
        requests=model,
        exports=SealedFileExportStore(vault, data_dir / "exports"),
        writer=ArchiveExportWriter(
            data_dir / "export-work",
            max_attachment_bytes=config.export_max_attachment_mb * MIB,
        ),
        email=email,
        default_link_days=config.access_link_days,
    )
