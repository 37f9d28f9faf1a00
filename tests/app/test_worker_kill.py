"""A gunicorn worker killed under load: gunicorn starts a replacement, the only failed requests
are the ones the killed worker held, and every request afterwards succeeds. Driven by the load
benchmark's own functions (``benchmarks/load_bench.py``: recorded in headless Chromium, then
replayed over HTTP), whose small helpers are checked here too."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from benchmarks import load_bench as lb

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 4
LOAD_SECONDS = 8.0
KILL_AFTER = 3.0  # seconds into the load
BOOT_TIMEOUT = 60.0


# --- the load driver's helpers -----------------------------------------------------------------


def test_percentile_interpolates_between_ranks():
    assert lb.percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.5
    assert lb.percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert lb.percentile([7.0], 99) == 7.0
    assert lb.percentile([1.0, 9.0], 0) == 1.0 and lb.percentile([1.0, 9.0], 100) == 9.0
    assert math.isnan(lb.percentile([], 50))
    with pytest.raises(ValueError):
        lb.percentile([1.0], 101)


def test_csrf_token_is_read_from_a_hidden_input_in_any_attribute_order():
    assert lb.csrf_token('<form><input type="hidden" name="csrf_token" value="abc.1-2"></form>') == "abc.1-2"
    assert lb.csrf_token("<input value='x9' id=c name='csrf_token' type=hidden>") == "x9"
    assert lb.csrf_token('<meta name="csrf-token" content="m1">') == "m1"
    assert lb.csrf_token('<input name="username" value="u">') is None


def test_call_kinds_name_the_request():
    assert lb.Call("GET", "/_dash-layout?x=1").kind == "GET /_dash-layout"
    router = lb.Call(
        "POST", "/_dash-update-component", {"output": ".._pages_content.children..._pages_store.data.."}
    )
    assert router.kind == lb.ROUTER_KIND
    duplicate = lb.Call("POST", "/_dash-update-component", {"output": "_pages_location.search@0ce1d0807699"})
    assert duplicate.kind == "_pages_location.search@0ce1d0"


def test_summary_counts_errors_by_status_and_renders_per_step(tmp_path):
    samples = [
        lb.Sample("analyst", "branches", "k", 0.0, 0.1 * i, status, recorded=200)
        for i, status in enumerate(["200", "204", "500", "conn", "200"], start=1)
    ]
    renders = [
        lb.Render("analyst", "branches", 0.0, 1.0, True),
        lb.Render("analyst", "overview", 0.0, 2.0, False),
    ]
    result = lb.RunResult("u", 1, ["analyst"], 10.0, 0.0, elapsed=2.0, samples=samples, renders=renders)
    summary = lb.summarise(result)
    assert summary["errors"] == {"500": 1, "conn": 1} and summary["unlike_recording"] == 1  # the 204
    assert summary["requests_per_s"] == 2.5 and summary["renders_per_s"] == 0.5
    assert summary["failed_renders"] == 1 and set(summary["render_latency"]) == {"all", "branches"}
    assert summary["request_latency"]["k"]["errors"] == 2
    assert summary["request_latency"]["k"]["p50_ms"] == pytest.approx(300.0)
    assert summary["request_latency"]["all"]["n"] == 5
    assert "| branches | 1 |" in lb.report(summary)
    sequences = {"analyst": [lb.Step("overview", (lb.Call("GET", "/"), lb.Call("POST", "/p", {"a": [1]})))]}
    lb.save_sequences(sequences, tmp_path / "rec.json")
    assert lb.load_sequences(tmp_path / "rec.json") == sequences


# --- gunicorn -w 2 on the session's demo warehouse ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, home: Path, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "MAMS_HOME": str(home), "MAMS_MODELS_AT_START": "0", "PYTHONPATH": str(ROOT)}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                # the repository's gunicorn.conf.py is read from the working folder; no control
                # socket, so this server does not take over the one of another gunicorn
                [sys.executable, "-m", "gunicorn", "app:server", "-w", "2", "-b", f"127.0.0.1:{self.port}"]
                + ["--no-control-socket"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.master = psutil.Process(self.process.pid)

    def workers(self) -> set[int]:
        try:
            return {p.pid for p in self.master.children() if p.status() != psutil.STATUS_ZOMBIE}
        except psutil.NoSuchProcess:
            return set()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                if (
                    requests.get(f"{self.url}/login", timeout=5).status_code == 200
                    and len(self.workers()) == 2
                ):
                    return
            except requests.RequestException:  # bound, but no worker has loaded the app yet
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not serve within {BOOT_TIMEOUT:.0f} s\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGQUIT to the master (quick shutdown), then SIGKILL to whatever of it is left."""
        try:
            family = [self.master, *self.master.children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for proc in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()  # psutil refuses a pid reused by another process


@pytest.fixture
def gunicorn(demo_home, tmp_path):
    server = Gunicorn(demo_home, tmp_path / "gunicorn.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


class Killer:
    """SIGKILLs one worker ``after`` seconds into the load, then waits for its replacement."""

    def __init__(self, server: Gunicorn, after: float):
        self.server, self.after = server, after
        self.killed: int | None = None
        self.kill_window = (math.nan, math.nan)  # time.monotonic() just before and after the kill
        self.replacement: int | None = None
        self.replaced_after = math.nan  # seconds from the kill until the new worker was seen
        self.thread: threading.Thread | None = None

    def start(self, window_start: float) -> None:
        self.thread = threading.Thread(target=self._run, args=(window_start,), daemon=True)
        self.thread.start()

    def _run(self, window_start: float) -> None:
        time.sleep(max(0.0, window_start + self.after - time.monotonic()))
        before = self.server.workers()
        self.killed = min(before)
        sent = time.monotonic()
        os.kill(self.killed, signal.SIGKILL)
        self.kill_window = (sent, time.monotonic())
        deadline = sent + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            new = self.server.workers() - before
            if new:
                self.replacement, self.replaced_after = new.pop(), time.monotonic() - sent
                return
            time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.browser
def test_killed_worker_is_replaced_and_only_its_requests_fail(gunicorn):
    sequences = {"analyst": lb.record_user(gunicorn.url, "analyst", drills=1)}
    assert [s.name for s in sequences["analyst"]] == ["overview", "branches", "drill 1"]
    assert any(c.kind == lb.ROUTER_KIND for s in sequences["analyst"] for c in s.calls)

    killer = Killer(gunicorn, KILL_AFTER)
    result = lb.run_load(
        gunicorn.url,
        sequences,
        sessions=SESSIONS,
        duration=LOAD_SECONDS,
        warmup=0,
        timeout=60,
        on_start=killer.start,
    )
    killer.thread.join(timeout=BOOT_TIMEOUT)
    summary = lb.report(lb.summarise(result))

    # the only failures are requests under way when the worker died: at most one per session
    sent, done = killer.kill_window
    failed = [s for s in result.samples if not s.ok]
    assert len(failed) <= SESSIONS, summary
    for sample in failed:
        assert sample.status == "conn", (sample, summary)
        assert sample.start <= done and sample.start + sample.seconds >= sent, (sample, killer.kill_window)
    after = [s for s in result.samples if s.start > done]
    assert after and all(s.ok for s in after), summary

    # gunicorn started a replacement, and serves with two workers again
    assert killer.replacement is not None, gunicorn.tail()
    assert killer.killed not in gunicorn.workers()
    assert len(gunicorn.workers()) == 2 and killer.replacement in gunicorn.workers(), gunicorn.tail()
    print(  # for docs/BENCHMARKS.md (pytest -s)
        f"killed worker {killer.killed} at {sent - result.window_start:.1f} s; "
        f"replacement {killer.replacement} "
        f"seen {killer.replaced_after:.2f} s later; {len(failed)} failed ({[s.status for s in failed]}) "
        f"of {len(result.samples)} requests, {len(after)} started after the kill, all good",
        flush=True,
    )

    # afterwards: a short run of freshly signed-in sessions (pausing between steps), every request good
    again = lb.summarise(
        lb.run_load(gunicorn.url, sequences, sessions=2, duration=3.0, pause=0.2, warmup=0, timeout=60)
    )
    assert again["errors"] == {} and again["failed_renders"] == 0, lb.report(again)
    assert again["unlike_recording"] == 0, lb.report(again)  # the callbacks answered as they did the browser
    assert again["requests"] > 0 and again["requests_per_s"] > 0 and again["sign_in"]["n"] == 2
    assert len(gunicorn.workers()) == 2, gunicorn.tail()
