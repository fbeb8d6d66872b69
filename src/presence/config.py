"""Settings, from the environment (prefix PRESENCE_) or a .env file, read once per process (`get_settings`).

In production the registry refuses to start without what production needs (`missing_for_production`): a secret
key (for people's sessions), its public URL, and a database named on purpose (PostgreSQL, or SQLite chosen
explicitly), rather than fall back on defaults meant for a developer's machine.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "PRESENCE_"
SECRET_KEY_LENGTH = 32  # characters, at the least, of a production secret key


class Environment(StrEnum):
    SIMULATION = "simulation"
    PRODUCTION = "production"


def default_database_url() -> str:
    return f"sqlite:///{Path('var') / 'presence.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    environment: Environment = Environment.SIMULATION
    # Signs people's sessions (the web pages to come); never the same on two registries.
    secret_key: str | None = None
    # People's sessions in the web pages: they end after this long without a request, and after this long anyway.
    session_idle_minutes: float = Field(default=30, gt=0)
    session_hours: float = Field(default=12, gt=0)
    # Signing people in through an OpenID Connect provider (production: the federal authentication service). Set
    # the issuer, the client id and a client secret or a private key file (private_key_jwt) to offer it.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_private_key_file: str | None = None
    oidc_scopes: str = "openid profile egovnrn"
    oidc_acr_values: str | None = None  # the federal service: urn:be:fedict:iam:fas:Level450
    oidc_national_number_claim: str = "egovNRN"
    oidc_given_name_claim: str = "givenName"
    oidc_family_name_claim: str = "surname"
    oidc_email_claim: str = "mail"
    oidc_language_claim: str = "prefLanguage"
    oidc_display_name: str | None = None  # on the sign-in button; default: "a digital key (itsme, eID)", translated
    # Lease of a claimed job: a worker that dies mid-job loses the job after this many seconds.
    job_lease_seconds: float = 60.0
    # Attempts of a job before it is buried as a dead letter (`presence jobs retry-dead`).
    job_max_attempts: int = Field(default=6, ge=1)
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

    def missing_for_production(self) -> list[str]:
        """The settings production needs that are missing or unfit, each named as its environment variable
        with why (empty outside production). Never the values: they are secrets."""
        if self.environment is not Environment.PRODUCTION:
            return []
        missing = []
        if not self.secret_key or len(self.secret_key.strip()) < SECRET_KEY_LENGTH:
            missing.append(f"{PREFIX}SECRET_KEY (at least {SECRET_KEY_LENGTH} random characters)")
        if not self.public_url:
            missing.append(f"{PREFIX}PUBLIC_URL (the registry's public base URL)")
        if "database_url" not in self.model_fields_set:
            missing.append(f"{PREFIX}DATABASE_URL (a PostgreSQL URL, or a sqlite:/// URL to choose SQLite)")
        return missing


@cache
def get_settings() -> Settings:
    """The settings, read once per process (the environment does not change under a running registry)."""
    return Settings()
