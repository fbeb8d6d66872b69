"""Settings, from the environment (prefix PRESENCE_) or a .env file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

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
    # `text`, or `json`: one JSON object per line, for log shippers.
    log_format: Literal["text", "json"] = "text"
    # The registry's public base URL (behind a proxy): the OAuth audiences are derived from it; unset, from the
    # URL each request reached us by.
    public_url: str | None = None
    # Rate limits per client id (0: none). A client reuses its token for its 10 minutes: a few token requests
    # a minute is plenty. The API's limit is for one enterprise's time clocks together.
    token_requests_per_minute: float = 60.0
    token_burst: int = 20
    # Failed token requests per source address (all addresses together: 50 times as many).
    token_failures_per_minute: float = 10.0
    token_failure_burst: int = 20
    api_requests_per_second: float = 200.0
    api_burst: int = 400


def get_settings() -> Settings:
    return Settings()
