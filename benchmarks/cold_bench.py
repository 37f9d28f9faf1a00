"""Cold renders: the first views users open right after a load, before any cache holds them.

    python benchmarks/cold_bench.py --home /tmp/loadhome --sequences rec.json --sessions 20

Starts ``gunicorn app:server -w 2`` on ``--home`` with the home's result cache emptied (a new
server process holds no rendered view or kept answer either, as after a load, whose new data
version no key names yet), signs ``--sessions`` sessions in (users of the recording in turn),
then lets them all replay their user's recorded steps once, at the same moment: a Monday
morning right after the monthly load. Every render is cold for its key the first time any
session asks for it; the others wait for the same work or find it done. Reports p50/p95/max of
every render, and of the first render of each distinct (user, step). Stops the server at the end.

Each worker warms the new data version in the background (``cube.warm``) unless ``--no-warm``
(``MAMS_WARM=0``). By default the sessions arrive at once, while the warm runs: the worst case.
``--settle S`` lets the server run S seconds first, as when users arrive some time after the
load landed. The workers' warm log lines (gunicorn's log) are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import load_bench as lb  # noqa: E402 - after the path fix above


def start_server(home: Path, port: int, workers: int, warm: bool, log) -> subprocess.Popen:
    env = {**os.environ, "MAMS_HOME": str(home), "MAMS_MODELS_AT_START": "0"}
    env["MAMS_WARM"] = "1" if warm else "0"
    server = subprocess.Popen(
        ["gunicorn", "app:server", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--no-control-socket"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200:
                return server
        except (requests.ConnectionError, requests.Timeout):  # a worker still starting or warming
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not answer within 300 s")


def run(
    home: Path, sequences: lb.Sequences, sessions: int, port: int, workers: int, warm: bool, settle: float
) -> dict:
    shutil.rmtree(home / "cache", ignore_errors=True)  # the result cache: nothing computed yet
    with tempfile.TemporaryFile(mode="w+") as log:
        out = _run(home, sequences, sessions, port, workers, warm, log, settle)
        log.seek(0)
        out["warm_log"] = [line.strip() for line in log if "warm" in line]
    return out


def _run(home, sequences, sessions, port, workers, warm, log, settle) -> dict:
    server = start_server(home, port, workers, warm, log)
    try:
        time.sleep(settle)
        url = f"http://127.0.0.1:{port}"
        clients, _ = lb.sign_in_sessions(url, list(sequences), sessions)
        renders: list[lb.Render] = []
        errors = 0
        gate = threading.Barrier(len(clients))
        lock = threading.Lock()

        def session(client: lb.Client) -> None:
            nonlocal errors
            gate.wait()
            for step in sequences[client.user]:
                samples, render = client.replay(step)
                with lock:
                    renders.append(render)
                    errors += sum(not s.ok for s in samples)

        threads = [threading.Thread(target=session, args=(c,)) for c in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)
    first: dict[tuple[str, str], lb.Render] = {}
    for render in sorted(renders, key=lambda r: r.start):
        first.setdefault((render.user, render.step), render)
    return {
        "sessions": sessions,
        "workers": workers,
        "warm": warm,
        "settle_s": settle,
        "elapsed_s": elapsed,
        "errors": errors,
        "all": lb._latency([r.seconds for r in renders]),
        "first_of_each": lb._latency([r.seconds for r in first.values()]),
        "first_by_step": {f"{u} {s}": r.seconds for (u, s), r in first.items()},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a home with a loaded warehouse")
    parser.add_argument("--sequences", type=Path, required=True, help="recorded by load_bench.py")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-warm", action="store_true", help="MAMS_WARM=0: no background warm")
    parser.add_argument("--settle", type=float, default=0.0, help="seconds the server runs before users come")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sequences = lb.load_sequences(args.sequences)
    out = run(args.home, sequences, args.sessions, args.port, args.workers, not args.no_warm, args.settle)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
