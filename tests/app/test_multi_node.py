"""The several-machine layout of docs/deploy.md, run locally as separate processes: two gunicorn
web nodes on different ports and one Celery worker, each with its own home folder (nothing of
their own shared), sharing only what the deployment shares: Redis (result cache, job broker and
results), PostgreSQL (the ops store), the shared folder (warehouse, model outputs, published
scores) and ``MAMS_SECRET_KEY``.

- A session signed in on node A is served by node B (and its sign-out on B ends it on A).
- A model run started on A is run by the worker (its own process, on the worker's home), its
  progress and result are read on B, the run list on B shows it succeeded, and its published
  scores are what both nodes' cubes see.
- The cube cache is in Redis, not on a node's disk.

Also here, in-process: a Redis that is down turns a Celery job into the page's "jobs
unavailable" message, not a 500.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from auth.demo import DEMO_PASSWORDS
from tests.app.test_models_page import DEFAULTS, payload
from tests.redis_server import _free_port

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 90.0
RUN_TIMEOUT = 120.0
SECRET = "multi-node-test-key-" + "k" * 24


class Node:
    """One process group started for the test (a gunicorn or a Celery worker), logged to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path):
        self.name, self.log = name, log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self) -> str:
        return f"--- {self.name} ---\n" + self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGQUIT (gunicorn's quick, Celery's cold shutdown) to the group this test started,
        then SIGKILL to what is left of it."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGQUIT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


class Web(Node):
    def __init__(self, name: str, env: dict[str, str], log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "gunicorn", "app:server", "-w", "1", "-b", f"127.0.0.1:{self.port}"]
        super().__init__(name, [*args, "--no-control-socket", "--timeout", "120"], env, log)

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/login", timeout=5).status_code == 200
        except requests.RequestException:
            return False


def _wait(nodes: list[Node], ready) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    waiting = list(nodes)
    while waiting and time.monotonic() < deadline:
        for node in waiting:
            assert node.alive(), node.tail()
        waiting = [n for n in waiting if not ready(n)]
        time.sleep(0.3)
    assert not waiting, "\n".join(n.tail() for n in waiting)


@pytest.fixture(scope="module")
def cluster(demo_home, mams_app, redis_server, postgres_server, tmp_path_factory):
    """Web nodes A and B and a worker, started once for this module's tests."""
    base = tmp_path_factory.mktemp("multi_node")
    shared = base / "shared"
    # the session's demo warehouse, copied: this test's model runs publish into its own folder
    shutil.copytree(demo_home / "warehouse", shared / "warehouse")
    redis_url = redis_server.url(2)
    redis_server.client(2).flushdb()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAMS_")},
        "PYTHONPATH": str(ROOT),
        "MAMS_OPS_URL": postgres_server.new_database(),
        "MAMS_REDIS_URL": redis_url,
        "MAMS_SHARED_DIR": str(shared),
        "MAMS_SECRET_KEY": SECRET,
        "MAMS_MODELS_AT_START": "0",
        "MAMS_DUCKDB_THREADS": "1",
        "MAMS_DUCKDB_MEMORY": "1GB",
    }
    homes = {name: base / f"home_{name}" for name in ("a", "b", "worker")}
    # the ops store's tables and the demo users, once (as a deployment's first start does)
    subprocess.run(
        [sys.executable, "-c", "import app; app.prepare_demo(log=lambda _l: None)"],
        cwd=ROOT,
        env={**env, "MAMS_HOME": str(homes["a"])},
        check=True,
        capture_output=True,
    )
    worker = Node(
        "worker",
        [sys.executable, "-m", "celery", "-A", "pages._celery", "worker", "-c", "1", "--loglevel", "INFO"]
        + ["--without-mingle", "--without-gossip"],
        {**env, "MAMS_HOME": str(homes["worker"])},
        base / "worker.log",
    )
    a = Web("web A", {**env, "MAMS_HOME": str(homes["a"])}, base / "a.log")
    b = Web("web B", {**env, "MAMS_HOME": str(homes["b"])}, base / "b.log")
    nodes = [worker, a, b]
    try:
        booting = time.monotonic()
        _wait([a, b], Web.ready)
        _wait([worker], lambda n: "ready." in n.log.read_text(errors="replace"))
        print(f"two web nodes and a worker up in {time.monotonic() - booting:.1f} s", flush=True)
        yield {"a": a, "b": b, "worker": worker, "homes": homes, "shared": shared, "redis": redis_url}
    finally:
        for node in nodes:
            node.stop()


def _sign_in(url: str, username: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{url}/login?lang=en", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"username": username, "password": DEMO_PASSWORDS[username], "csrf_token": token}
    answer = http.post(f"{url}/login?lang=en", data=data, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return http


def _on(http: requests.Session, other: str) -> requests.Session:
    """The same browser, talking to another node (its cookies, nothing else)."""
    moved = requests.Session()
    moved.cookies.update(http.cookies)
    return moved


def _post(http: requests.Session, url: str, body: dict, query: str = "") -> requests.Response:
    return http.post(f"{url}/_dash-update-component{query}", json=body, timeout=60)


@pytest.mark.slow  # starts redis, PostgreSQL, a worker and two web nodes: ~50 s here
def test_a_session_signed_in_on_one_node_is_served_by_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    on_a = _sign_in(a.url, "analyst")
    on_b = _on(on_a, b.url)
    page = on_b.get(f"{b.url}/models", allow_redirects=False, timeout=30)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    layout = on_b.get(f"{b.url}/_dash-layout", timeout=30)
    assert layout.status_code == 200 and "analyst" in layout.text
    # signed out on B (the form's token from B's page): the same cookie is refused on A too
    form = on_b.get(f"{b.url}/logout", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert on_b.post(f"{b.url}/logout", data={"csrf_token": token}, timeout=30).status_code == 200
    assert on_a.get(f"{a.url}/_dash-layout", timeout=30).status_code == 401
    # signed in again, on A: B serves the new session
    assert _on(_sign_in(a.url, "analyst"), b.url).get(f"{b.url}/_dash-layout", timeout=30).status_code == 200


@pytest.mark.slow  # starts redis, PostgreSQL, a worker and two web nodes: ~50 s here
def test_a_job_started_on_one_node_is_run_by_the_worker_and_seen_on_the_other(cluster, mams_app):
    a, b = cluster["a"], cluster["b"]
    on_a = _sign_in(a.url, "analyst")
    on_b = _on(on_a, b.url)
    state = {**DEFAULTS, "models--kind.value": "value"}
    start = payload(
        mams_app, ("models--start", "n_clicks"), {"models--start.n_clicks": 1}, state, "models--ticket"
    )
    answer = _post(on_a, a.url, start)
    assert answer.status_code == 200, answer.text[:500]
    ticket = answer.json()["response"]["models--ticket"]["data"]

    # what the browser posts next: the background callback; node A hands the job to Redis
    job = payload(
        mams_app, ("models--ticket", "data"), {"models--ticket.data": ticket}, {}, "models--outcome"
    )
    handles = _post(on_a, a.url, job)
    assert handles.status_code == 200, handles.text[:500]
    handles = handles.json()
    assert {"cacheKey", "job"} <= set(handles), handles
    query = f"?cacheKey={handles['cacheKey']}&job={handles['job']}"

    # the browser's polls, all to node B: progress while the worker runs it, then the result
    deadline, progress, outcome = time.monotonic() + RUN_TIMEOUT, [], None
    while time.monotonic() < deadline:
        polled = _post(on_b, b.url, job, query)
        assert polled.status_code in (200, 204), polled.text[:500]
        body = polled.json() if polled.status_code == 200 else {}
        if "progress" in body:
            progress.append(body["progress"])
        if "models--outcome" in body.get("response", {}):
            outcome = body["response"]["models--outcome"]["children"]
            break
        time.sleep(0.5)
    assert outcome is not None, cluster["worker"].tail() + cluster["b"].tail()
    assert outcome["props"]["color"] == "success" and "value run finished" in str(outcome), outcome
    assert progress, "no progress was read on node B"

    # the run list on B says it succeeded; the registry says the worker ran it
    refresh = payload(
        mams_app, ("models--poll", "n_intervals"), {"models--poll.n_intervals": 1}, {}, "runs-box"
    )
    listed = _post(on_b, b.url, refresh).json()["response"]["models--runs-box"]["children"]
    run_id = re.search(r"\d{8}T\d{6}-value-[0-9a-f]{6}", str(listed)).group(0)
    assert "succeeded" in str(listed).lower() or "success" in str(listed).lower()
    worker_log = cluster["worker"].log.read_text(errors="replace")
    assert "succeeded in" in worker_log, cluster["worker"].tail()
    # its outputs and published scores are in the shared folder, none in a web node's home
    assert (cluster["shared"] / "mining" / run_id).is_dir()
    assert "value" in (cluster["shared"] / "mining" / "published.json").read_text()
    for name in ("a", "b"):
        assert not (cluster["homes"][name] / "mining").exists()
        assert not (cluster["homes"][name] / "jobs").exists()


@pytest.mark.slow  # starts redis, PostgreSQL, a worker and two web nodes: ~50 s here
def test_the_cube_cache_is_in_redis(cluster, mams_app):
    import redis

    client = redis.Redis.from_url(cluster["redis"])
    on_a = _sign_in(cluster["a"].url, "analyst")
    assert on_a.get(f"{cluster['a'].url}/", timeout=30).status_code == 200
    router = _router_payload(mams_app)
    assert _post(on_a, cluster["a"].url, router).status_code == 200
    assert client.keys("mams:cube:*"), "no cube result cached in Redis"
    for name in ("a", "b"):
        assert not (cluster["homes"][name] / "cache").exists()


def _router_payload(mams_app) -> dict:
    from tests.app.test_http_guard import router_payload

    return router_payload("/", "")


# --- in-process: a Redis that is down ---------------------------------------------------------


def test_a_redis_that_is_down_makes_a_job_say_jobs_are_unavailable(mams_app, monkeypatch):
    dead_url = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    monkeypatch.setenv("MAMS_REDIS_URL", dead_url)  # pages._celery makes its app at import
    from pages import _celery, _jobs

    dead = _celery.make_celery(dead_url)
    manager = _jobs.GuardedCeleryJobs(dead)
    started = time.monotonic()
    fn = next(iter(manager.func_registry.values()))
    with pytest.raises(_jobs.JobsUnavailable):
        manager.call_job_fn("k", fn, [None], {})
    with pytest.raises(_jobs.JobsUnavailable):
        manager.get_progress("k")
    assert manager.terminate_job("some-job") is None  # best effort, never an error
    assert time.monotonic() - started < 30


def test_several_nodes_without_a_shared_secret_are_warned_about(mams_app, monkeypatch, caplog):
    monkeypatch.setenv("MAMS_REDIS_URL", "redis://127.0.0.1:1/0")  # never asked: only read
    monkeypatch.delenv("MAMS_SECRET_KEY", raising=False)
    caplog.set_level(logging.WARNING, logger="app")
    mams_app._start_checks()
    said = [r.getMessage() for r in caplog.records if r.name == "app"]
    assert any("MAMS_SECRET_KEY" in line and "every web node and worker" in line for line in said), said
    caplog.clear()
    monkeypatch.setenv("MAMS_SECRET_KEY", SECRET)
    mams_app._start_checks()
    assert not [r for r in caplog.records if r.name == "app" and "MAMS_SECRET_KEY" in r.getMessage()]
