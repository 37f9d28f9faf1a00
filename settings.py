"""Every setting the product reads from the environment, in one place (the README's "Settings").

``get_settings()`` reads the environment when asked, so a test that changes ``MAMS_HOME`` with
monkeypatch is seen at once; the parsed object is kept per set of values, because
``data.paths.home()`` asks on every query. A bad value fails with the variable's name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent
# Sizes as Spark's JVM options write them (2g, 512m, 1024) and as DuckDB's memory_limit does (4GB, 4GiB).
_SPARK_SIZE = r"(?i)^\d+([kmgtp]b?|b)?$"
_DUCKDB_SIZE = r"(?i)^\s*\d+(\.\d+)?\s*([kmgt]i?b?|b)?\s*$"


def _env(name: str, default: object, description: str, **checks: object) -> Any:
    # The variable's full name is written at the field, so grepping for it finds it here.
    return Field(default, validation_alias=name, description=description, **checks)


class Settings(BaseSettings):
    """The product's settings, each read from the environment variable named beside it."""

    # Exact names only (no mams_home), and an empty variable counts as unset (MAMS_HTTPS=).
    model_config = SettingsConfigDict(
        case_sensitive=True, env_ignore_empty=True, frozen=True, extra="ignore", populate_by_name=True
    )

    home: Path = _env("MAMS_HOME", REPO_ROOT / "var", "Folder for everything the app writes.")
    secret_key: SecretStr | None = _env(
        "MAMS_SECRET_KEY", None, "Signs session cookies; unset: generated once, kept in `<home>/secret_key`."
    )
    ops_url: str | None = _env(
        "MAMS_OPS_URL",
        None,
        "The operational store's database: unset, a SQLite file `<home>/ops.sqlite`; "
        "`postgresql://user:password@host:5432/db` a PostgreSQL database.",
    )
    shared_dir: Path | None = _env(
        "MAMS_SHARED_DIR",
        None,
        "Folder every node reads (warehouse files, model outputs, published scores and rollups, "
        "made exports); unset: the home folder.",
    )
    redis_url: str | None = _env(
        "MAMS_REDIS_URL",
        None,
        "Redis for several nodes (`redis://host:6379/0`): the result cache, and the background "
        "jobs' broker and result store.",
        pattern=r"^(redis|rediss|unix)://",
    )
    jobs: Literal["diskcache", "celery"] | None = _env(
        "MAMS_JOBS",
        None,
        "Background jobs: `diskcache` (processes on this machine) or `celery` (workers on "
        "MAMS_REDIS_URL); unset: `celery` when MAMS_REDIS_URL is set, else `diskcache`.",
    )
    cache: Literal["disk", "redis"] | None = _env(
        "MAMS_CACHE",
        None,
        "The result cache: `disk` (`<home>/cache`) or `redis` (MAMS_REDIS_URL); unset: `redis` "
        "when MAMS_REDIS_URL is set, else `disk`.",
    )
    https: bool = _env("MAMS_HTTPS", False, "`1` behind TLS: session cookies are marked Secure.")
    proxy_hops: int = _env(
        "MAMS_PROXY_HOPS",
        0,
        "Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted.",
        ge=0,
    )
    debug: bool = _env("MAMS_DEBUG", False, "`1`: Dash debug mode (Werkzeug debugger); development only.")
    engine: Literal["duckdb", "spark"] = _env("MAMS_ENGINE", "duckdb", "The cube's engine.")
    duckdb_threads: int = _env("MAMS_DUCKDB_THREADS", 2, "DuckDB threads per process.", ge=1)
    duckdb_memory: str = _env(
        "MAMS_DUCKDB_MEMORY", "4GB", "DuckDB memory limit per process.", pattern=_DUCKDB_SIZE
    )
    load_threads: int = _env(
        "MAMS_LOAD_THREADS", 2, "DuckDB threads of an import (`python -m data.load`).", ge=1
    )
    load_memory: str = _env(
        "MAMS_LOAD_MEMORY",
        "6GB",
        "DuckDB memory limit of an import; above it, work spills to `<home>/` work folders on disk.",
        pattern=_DUCKDB_SIZE,
    )
    spark_master: str = _env(
        "MAMS_SPARK_MASTER", "local[2]", "Spark master URL (with `MAMS_ENGINE=spark`).", min_length=1
    )
    spark_memory: str = _env(
        "MAMS_SPARK_MEMORY", "2g", "Spark driver memory (with `MAMS_ENGINE=spark`).", pattern=_SPARK_SIZE
    )
    models_at_start: bool = _env(
        "MAMS_MODELS_AT_START",
        True,
        "`1`: at start, run in the background each model that has no run on the served data.",
    )
    warm: bool = _env(
        "MAMS_WARM",
        True,
        "`1`: each serving process prepares every new data version's views in the background.",
    )
    currency_code: str = _env(
        "MAMS_CURRENCY_CODE", "CNY", "ISO 4217 code of the money in the data.", pattern=r"^[A-Z]{3}$"
    )
    currency_symbol: str = _env(
        "MAMS_CURRENCY_SYMBOL", "¥", "Symbol written before money.", min_length=1, max_length=4
    )
    currency_cjk_units: bool = _env(
        "MAMS_CURRENCY_CJK_UNITS", True, "`1`: Chinese money in 万/亿; `0`: K/M/B in both languages."
    )
    host: str = _env("HOST", "127.0.0.1", "Address `python app.py` listens on.", min_length=1)
    port: int = _env("PORT", 8050, "Port `python app.py` serves on.", ge=1, le=65535)

    @property
    def jobs_backend(self) -> Literal["diskcache", "celery"]:
        """Where background jobs run: MAMS_JOBS, else derived from MAMS_REDIS_URL."""
        return self.jobs or ("celery" if self.redis_url else "diskcache")

    @property
    def cache_backend(self) -> Literal["disk", "redis"]:
        """Where the result cache lives: MAMS_CACHE, else derived from MAMS_REDIS_URL."""
        return self.cache or ("redis" if self.redis_url else "disk")

    @model_validator(mode="after")
    def _redis_when_asked_for(self) -> Settings:
        # a backend on Redis without a Redis to use: said at start, naming the variable
        for name, value in (("MAMS_JOBS", self.jobs), ("MAMS_CACHE", self.cache)):
            if value in ("celery", "redis") and not self.redis_url:
                raise ValueError(f"{name}={value} needs MAMS_REDIS_URL (redis://host:6379/0)")
        return self


class SettingsError(ValueError):
    """A setting's environment variable holds a value that cannot be used."""


def env_name(field: str) -> str:
    """The environment variable a field is read from (``home`` -> ``MAMS_HOME``)."""
    return str(Settings.model_fields[field].validation_alias)


ENV_NAMES = tuple(env_name(field) for field in Settings.model_fields)
_memo: dict[tuple[str | None, ...], Settings] = {}


def get_settings() -> Settings:
    """The settings for the environment as it is now (parsed once per distinct set of values)."""
    key = tuple(map(os.environ.get, ENV_NAMES))
    found = _memo.get(key)
    if found is None:
        try:
            found = Settings()
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None
        if len(_memo) > 64:  # tests try many environments; keep the memo small
            _memo.clear()
        _memo[key] = found
    return found


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        if not error["loc"]:  # a check across settings: its message names the variables
            lines.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        name = str(error["loc"][0])
        name = env_name(name) if name in Settings.model_fields else name  # errors name the alias
        lines.append(f"{name}={os.environ.get(name)!r}: {error['msg']}")
    return "Bad setting in the environment (see README, Settings):\n  " + "\n  ".join(lines)
