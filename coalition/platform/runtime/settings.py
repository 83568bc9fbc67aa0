"""Configuration from the environment (prefix ``COALITION_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COALITION_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded server under data_dir is used.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL. Unset: an embedded Valkey server under data_dir is used.",
    )
    data_dir: Path = Field(default=Path(".coalition"), description="Home of the embedded servers.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="API server processes (granian workers).")
    database_pool_size: int = Field(
        default=10,
        ge=1,
        description="Connections each API process keeps open; also how many GraphQL requests it works on at once.",
    )
    group_commit_max_batch: int = Field(
        default=32,
        ge=1,
        le=32,
        description="Most till postings (earns, redemptions) in one transaction when tills post at once; 1: alone.",
    )
    group_commit_in_flight: int = Field(
        default=2,
        ge=1,
        description="Till posting transactions each API process has under way before new ones wait to go together.",
    )
    database_answer_within_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The API's bound on connecting to PostgreSQL, on each statement and on waiting for a pooled "
        "connection: a database that stops answering gives clear errors, never hanging requests.",
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        description="How long a verified credential is trusted before it is looked up again; "
        "a revocation made in another process takes effect within this time.",
    )
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 5000
    graphql_max_cost: int = Field(
        default=1000,
        ge=1,
        description="Most objects a query may return at worst: each list counts its `first` (given or default), "
        "multiplied down nested lists; refused before it runs.",
    )
    graphql_max_fields: int = Field(
        default=300, ge=1, description="Most field selections a query document may hold; refused before validation."
    )
    request_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Larger request bodies are refused with 413."
    )
    rate_limit_window_seconds: int = Field(default=60, ge=1, description="The rate limits' fixed window.")
    rate_limit_per_credential: int = Field(
        default=6000, ge=0, description="Requests one bearer credential may make per window; 0: no limit."
    )
    rate_limit_per_address: int = Field(
        default=1200, ge=0, description="Requests one client address may make per window; 0: no limit."
    )
    rate_limit_exempt_addresses: str = Field(
        default="127.0.0.1,::1",
        description="Client addresses, comma-separated, without an address limit (their credentials are still "
        "limited): the host itself, e.g. a reverse proxy that does not forward the client's address.",
    )
    metrics_token: str | None = Field(
        default=None, description="The bearer token /metrics requires. Unset: /metrics is not served."
    )
    webhook_url: str | None = Field(
        default=None, description="Where member notices are POSTed (JSON, HMAC-signed). Unset: kept in the outbox."
    )
    webhook_secret: str = Field(default="", description="The HMAC-SHA256 key notices are signed with.")
    smtp_url: str | None = Field(
        default=None,
        description="Where the worker sends e-mail: smtp://host:1025, smtp://user:pass@host:587 (STARTTLS "
        "when offered), smtps://user:pass@host:465. Unset: mails stay in the outbox.",
    )
    mail_from: str = Field(default="coalition@localhost", description="The From address of the mails sent.")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="The address people open; links in e-mails start with it."
    )
    portal_coalition: str | None = Field(
        default=None,
        description="The coalition (its slug) whose staff sign in at /portal/sign-in. Unset: the form asks "
        "for it (one server may host several coalitions).",
    )
    development: bool = Field(
        default=False,
        description="Development and demo only: serves /portal/dev/mail, which shows every queued mail "
        "and its links to whoever opens it. Never in production.",
    )
    worker_interval_minutes: int = Field(
        default=15, description="How often the worker looks for closed days to settle and lots to expire."
    )

    @property
    def rate_limit_exempt(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.rate_limit_exempt_addresses.split(",") if a.strip())

    @property
    def uses_embedded_servers(self) -> bool:
        return self.database_url is None or self.redis_url is None
