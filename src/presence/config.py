"""Settings, from the environment (prefix PRESENCE_) or a .env file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    SIMULATION = "simulation"
    PRODUCTION = "production"


def default_database_url() -> str:
    return f"sqlite:///{Path('var') / 'presence.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESENCE_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    environment: Environment = Environment.SIMULATION
    # Lease of a claimed job: a worker that dies mid-job loses the job after this many seconds.
    job_lease_seconds: float = 60.0
    job_max_attempts: int = 6
    log_level: str = "INFO"
    # The registry's public base URL (behind a proxy): the OAuth audiences are derived from it; unset, from the
    # URL each request reached us by.
    public_url: str | None = None


def get_settings() -> Settings:
    return Settings()
