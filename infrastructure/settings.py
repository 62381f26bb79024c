"""One typed settings object, read once at start-up from the environment.

Secrets (master key, blind-index key) come from the environment or key files,
never from the repository. In development a missing key is generated into the
data folder with owner-only permissions; elsewhere a missing or malformed key
stops start-up with a message naming the variable.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Literal

import structlog
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = structlog.get_logger(__name__)

KEY_BYTES = 32


class ConfigurationError(Exception):
    """Configuration is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GDPRKIT_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    master_key: str = Field(default="", repr=False)
    master_key_file: Path | None = None
    blind_index_key: str = Field(default="", repr=False)
    blind_index_key_file: Path | None = None
    operator_token: str = Field(default="", repr=False)
    operator_token_file: Path | None = None
    erasure_ledger_path: Path | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    group_commit_window_ms: float = 2.0
    public_url: str = "http://127.0.0.1:8000"
    seal_personal_data: bool = True  # False only in benchmarks, as the baseline
    # Access governance (issue 7). Forced HTTPS is on in production and cannot
    # be turned off there; elsewhere it is off unless set (local development).
    force_https: bool | None = None
    hsts_max_age: int = 63_072_000  # two years
    trusted_proxies: str = ""  # comma-separated addresses or CIDR blocks
    session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Retention and the tamper-evident log (issue 8)
    signing_key: str = Field(default="", repr=False)  # Ed25519 seed, base64
    signing_key_file: Path | None = None
    checkpoint_interval_minutes: float = 5.0
    purge_interval_minutes: float = 60.0

    @model_validator(mode="after")
    def _default_paths(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'gdprkit.db'}"
        if self.erasure_ledger_path is None:
            self.erasure_ledger_path = self.data_dir / "erasure-ledger.jsonl"
        if self.force_https is False and self.environment == "production":
            raise ConfigurationError(
                "GDPRKIT_FORCE_HTTPS=false is for local development only, never "
                "production"
            )
        return self

    @property
    def https_only(self) -> bool:
        if self.force_https is None:
            return self.environment == "production"
        return self.force_https

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        if self.is_postgres:
            raise ConfigurationError("GDPRKIT_DATABASE_URL is not a SQLite URL")
        return Path(self.database_url.removeprefix("sqlite:///"))

    def master_key_bytes(self) -> bytes:
        return self._key("master_key", "master.key", "GDPRKIT_MASTER_KEY")

    def blind_index_key_bytes(self) -> bytes:
        return self._key(
            "blind_index_key", "blind-index.key", "GDPRKIT_BLIND_INDEX_KEY"
        )

    def signing_key_bytes(self) -> bytes:
        """The 32-byte Ed25519 seed that signs the access log's checkpoints."""
        return self._key("signing_key", "signing.key", "GDPRKIT_SIGNING_KEY")

    def operator_token_value(self) -> str:
        """The platform operator's token: the only credential that creates
        workspaces. It is written exactly as configured (or as generated into
        var/operator.token in development), so the file's text is the token."""
        key = self._key("operator_token", "operator.token", "GDPRKIT_OPERATOR_TOKEN")
        return base64.b64encode(key).decode("ascii")

    def _key(self, attribute: str, filename: str, variable: str) -> bytes:
        inline: str = getattr(self, attribute)
        key_file: Path | None = getattr(self, f"{attribute}_file")
        if inline:
            return _decode_key(inline, variable)
        if key_file is not None:
            return _read_key_file(key_file, f"{variable}_FILE")
        if self.environment != "development":
            raise ConfigurationError(
                f"{variable} (or {variable}_FILE) must be set outside development: "
                "a base64-encoded 32-byte key"
            )
        path = self.data_dir / filename
        if not path.exists():
            _generate_key_file(path)
            log.warning("settings.key_generated", key=filename, path=str(path))
        return _read_key_file(path, f"{variable}_FILE")


def _decode_key(encoded: str, variable: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{variable} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"{variable} must decode to {KEY_BYTES} bytes, not {len(key)}"
        )
    return key


def _read_key_file(path: Path, variable: str) -> bytes:
    try:
        encoded = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{variable}: cannot read {path}: {error}") from None
    return _decode_key(encoded, f"{variable} ({path})")


def _generate_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    # Create with owner-only permissions from the start: no window where the key
    # is readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(encoded + "\n")


def load_settings() -> Settings:
    return Settings()
