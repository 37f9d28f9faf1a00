"""The settings object: defaults, environment overrides, clear errors, and `python app.py` on
the HOST and PORT it is given."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import settings
from settings import ENV_NAMES, SettingsError, get_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    s = get_settings()
    assert (s.home, s.secret_key, s.https, s.debug) == (ROOT / "var", None, False, False)
    assert (s.engine, s.duckdb_threads, s.duckdb_memory) == ("duckdb", 2, "4GB")
    assert (s.spark_master, s.spark_memory) == ("local[2]", "2g")
    assert (s.host, s.port, s.models_at_start, s.warm) == ("127.0.0.1", 8050, True, True)
    assert (s.currency_code, s.currency_symbol, s.currency_cjk_units) == ("CNY", "¥", True)
    assert s.proxy_hops == 0
    assert (s.load_threads, s.load_memory) == (2, "6GB")


def test_environment_overrides_and_changes_are_seen_at_once(clean_env, tmp_path):
    values = {
        "MAMS_HOME": str(tmp_path),
        "MAMS_SECRET_KEY": "k" * 32,
        "MAMS_HTTPS": "1",
        "MAMS_PROXY_HOPS": "1",
        "MAMS_DEBUG": "true",
        "MAMS_ENGINE": "spark",
        "MAMS_DUCKDB_THREADS": "4",
        "MAMS_DUCKDB_MEMORY": "1.5GiB",
        "MAMS_LOAD_THREADS": "1",
        "MAMS_LOAD_MEMORY": "3GB",
        "MAMS_SPARK_MASTER": "spark://head:7077",
        "MAMS_SPARK_MEMORY": "512m",
        "MAMS_MODELS_AT_START": "0",
        "MAMS_WARM": "0",
        "MAMS_CURRENCY_CODE": "EUR",
        "MAMS_CURRENCY_SYMBOL": "€",
        "MAMS_CURRENCY_CJK_UNITS": "0",
        "HOST": "0.0.0.0",
        "PORT": "9000",
        "MAMS_OPS_URL": "postgresql://mams@db:5432/ops",
        "MAMS_SHARED_DIR": str(tmp_path / "shared"),
        "MAMS_REDIS_URL": "redis://:pw@cache:6379/0",
        "MAMS_JOBS": "diskcache",
        "MAMS_CACHE": "redis",
    }
    assert set(values) == set(ENV_NAMES)  # a new setting gets a line here
    for name, value in values.items():
        clean_env.setenv(name, value)
    s = get_settings()
    assert (s.home, s.secret_key.get_secret_value(), s.https, s.debug) == (tmp_path, "k" * 32, True, True)
    assert (s.engine, s.duckdb_threads, s.duckdb_memory) == ("spark", 4, "1.5GiB")
    assert (s.spark_master, s.spark_memory, s.host, s.port) == ("spark://head:7077", "512m", "0.0.0.0", 9000)
    assert s.models_at_start is False and s.warm is False and s.proxy_hops == 1
    assert s.ops_url == "postgresql://mams@db:5432/ops"
    assert (s.shared_dir, s.redis_url) == (tmp_path / "shared", "redis://:pw@cache:6379/0")
    assert (s.jobs_backend, s.cache_backend) == ("diskcache", "redis")
    assert (s.currency_code, s.currency_symbol, s.currency_cjk_units) == ("EUR", "€", False)
    assert "k" * 32 not in repr(s)  # the key never lands in a log line
    clean_env.setenv("MAMS_HOME", str(tmp_path / "other"))
    from data import paths

    assert paths.home() == tmp_path / "other"


def test_jobs_and_cache_follow_redis_unless_chosen(clean_env, tmp_path):
    s = get_settings()
    assert (s.jobs_backend, s.cache_backend, s.shared_dir) == ("diskcache", "disk", None)
    from data import paths

    clean_env.setenv("MAMS_HOME", str(tmp_path / "home"))
    assert paths.shared() == paths.home() and paths.mining_dir() == tmp_path / "home" / "mining"
    clean_env.setenv("MAMS_SHARED_DIR", str(tmp_path / "nfs"))
    assert paths.warehouse_dir() == tmp_path / "nfs" / "warehouse"
    assert paths.mining_dir() == tmp_path / "nfs" / "mining"
    assert paths.cache_dir() == tmp_path / "home" / "cache"  # per node
    clean_env.setenv("MAMS_REDIS_URL", "redis://cache:6379/0")
    assert (get_settings().jobs_backend, get_settings().cache_backend) == ("celery", "redis")
    clean_env.setenv("MAMS_CACHE", "disk")
    assert (get_settings().jobs_backend, get_settings().cache_backend) == ("celery", "disk")


@pytest.mark.parametrize("name", ["MAMS_JOBS=celery", "MAMS_CACHE=redis"])
def test_redis_backends_need_a_redis_url(clean_env, name):
    clean_env.setenv(*name.split("="))
    with pytest.raises(SettingsError, match=rf"{name} needs MAMS_REDIS_URL"):
        get_settings()


def test_empty_variable_counts_as_unset(clean_env):
    clean_env.setenv("MAMS_HTTPS", "")
    clean_env.setenv("MAMS_SECRET_KEY", "")
    assert (get_settings().https, get_settings().secret_key) == (False, None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAMS_DUCKDB_THREADS", "two"),
        ("MAMS_DUCKDB_THREADS", "0"),
        ("MAMS_DUCKDB_MEMORY", "lots"),
        ("MAMS_SPARK_MEMORY", "2 gigs"),
        ("MAMS_ENGINE", "oracle"),
        ("MAMS_HTTPS", "maybe"),
        ("MAMS_PROXY_HOPS", "-1"),
        ("MAMS_CURRENCY_CODE", "euro"),
        ("PORT", "99999"),
        ("PORT", "http"),
        ("MAMS_REDIS_URL", "cache:6379"),
        ("MAMS_JOBS", "rq"),
    ],
)
def test_bad_value_names_the_variable(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError, match=rf"{name}='{re.escape(value)}': "):
        get_settings()


def test_every_setting_is_in_the_readme_table():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Settings", 1)[-1]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.M))
    assert documented == set(ENV_NAMES)


def test_nothing_else_reads_these_variables():
    # A read beside settings.py would bypass its types, defaults and errors.
    names = "|".join(ENV_NAMES)
    pattern = re.compile(rf"(environ\.get\(|environ\[|getenv\()\s*[\"']({names})[\"']")
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {"tests", "var"} or parts[0].startswith(".") or path == Path(settings.__file__):
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append("/".join(parts))
    assert not offenders


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_app_serves_on_the_port_it_is_given(demo_home, tmp_path):
    port = _free_port()
    env = {**os.environ, "MAMS_HOME": str(demo_home), "HOST": "127.0.0.1", "PORT": str(port)}
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        body = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and b"login-form" not in body:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    body = response.read() if response.status == 200 else b""
            except OSError:
                pass
        assert b"login-form" in body, log.read_text(errors="replace")
        assert f"Serving on http://127.0.0.1:{port}" in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
