"""Load benchmark: N signed-in sessions replaying the callback requests real views send.

    python benchmarks/load_bench.py --url http://127.0.0.1:8050 --sessions 50 --duration 60
    python benchmarks/load_bench.py --url ... --sequences rec.json --record-only   # record, save, stop
    python benchmarks/load_bench.py --url ... --sequences rec.json --sessions 100  # replay a recording

Against a running server (``gunicorn app:server -w 2``). Two phases:

- **Recording** (:func:`record`): for each demo user of ``--users``, a headless Chromium signs in
  and lands on the Overview, opens Branches, then drills twice on the units chart (click a bar,
  then "drill down" in the click menu) where the user's scope has a level below. A fetch wrapper
  in the page keeps the body of every request the Dash renderer sends to ``/_dash-*``; each
  user action and the requests it caused are one :class:`Step` (a whole-view render). The
  first step is a full page load: the app shell (``GET /``), ``/_dash-layout``,
  ``/_dash-dependencies`` and the callbacks that fire on load.
- **Replay** (:func:`run_load`): every session signs in over HTTP (``GET /login``, the form's
  hidden ``csrf_token`` if it has one, ``POST /login``), then replays its user's steps in a
  loop, request after request (a browser sends some of them in parallel), without pause or
  with ``--pause`` seconds between steps, until ``--duration`` ends. With a pause, session ``i``
  of ``N`` starts ``i / N`` of a pause into the window, so the sessions' actions are spread in
  time as independent users' are (all starting at one instant, they came in waves of N renders
  at once, every pause). Session ``i`` is signed in
  as user ``i mod len(users)`` and starts at step ``i mod steps``, so the sessions do not all
  open the same view at once. Before the timed window, one session per user replays its steps
  ``--warmup`` times (untimed), so the figures are for a warm server.

Requests still under way when the duration ends finish and count; a render cut short by the end
does not. Reported: renders/s (whole steps), view layouts/s (Dash's page-router callback, which
runs the view's queries) and requests/s over the whole window; p50/p95/p99 per request kind and
per whole-view render; errors by status (``conn``: the connection failed, as when a worker dies;
``timeout``); and answers that were OK but unlike the recording's (a 204 where the browser got a
200), which would mean the replay no longer makes the server do the view's work. The driver's own
CPU time is reported, and with ``--server-pid`` (the gunicorn master, on the same machine) the
CPU time its workers spent in the window.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auth.demo import DEMO_PASSWORDS  # noqa: E402 - after the path fix above

OK_STATUSES = frozenset({200, 204})  # 204: a callback that had nothing to update (PreventUpdate)
DEFAULT_USERS = ("analyst", "branch")
UNITS_BARS = '[id*="branches:units"] .point path'
# The callback of Dash's page router: it runs the view's layout (every query of the view).
ROUTER_KIND = "_pages_content.children (+1)"

# Keeps what the Dash renderer sends to the server: every fetch of /_dash-* (layout,
# dependencies, callbacks) with its body, and how many are still under way.
_FETCH_HOOK = r"""
(function () {
  if (window.__loadRec) return;
  window.__loadRec = []; window.__loadPending = 0;
  const original = window.fetch;
  window.fetch = function (input, init) {
    const url = new URL(typeof input === 'string' ? input : input.url, window.location.href);
    if (!url.pathname.startsWith('/_dash-')) return original.apply(this, arguments);
    const rec = {method: (init && init.method) || 'GET', path: url.pathname + url.search,
                 body: (init && init.body) || null, status: null};
    window.__loadRec.push(rec); window.__loadPending++;
    return original.apply(this, arguments).then(
      (r) => { rec.status = r.status; window.__loadPending--; return r; },
      (e) => { rec.status = -1; window.__loadPending--; throw e; });
  };
})();
"""


# --- what is replayed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request as the browser sent it: ``GET`` of a path, or ``POST`` of a callback body."""

    method: str
    path: str
    body: dict | None = None
    status: int | None = None  # what the browser got when it was recorded

    @property
    def kind(self) -> str:
        """A short name for reports: the path of a GET, the first output of a callback (plus how
        many more it has, and the hash Dash appends to a duplicate output)."""
        if self.body is None:
            return f"GET {self.path.split('?')[0]}"
        output = str(self.body.get("output", "?"))
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        first, more = parts[0], len(parts) - 1
        name, _, digest = first.partition("@")
        label = name + (f"@{digest[:6]}" if digest else "")
        return label + (f" (+{more})" if more else "")


@dataclass(frozen=True)
class Step:
    """One user action (open a view, drill) and every request it caused, in the order sent."""

    name: str
    calls: tuple[Call, ...]


Sequences = dict[str, list[Step]]  # user -> the steps recorded for them


def save_sequences(sequences: Sequences, path: Path) -> None:
    data = {
        user: [{"name": s.name, "calls": [asdict(c) for c in s.calls]} for s in steps]
        for user, steps in sequences.items()
    }
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def load_sequences(path: Path) -> Sequences:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        user: [Step(s["name"], tuple(Call(**c) for c in s["calls"])) for s in steps]
        for user, steps in data.items()
    }


# --- recording with headless Chromium ----------------------------------------------------------


def _chrome():
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _FETCH_HOOK})
    return driver


def _wait_idle(driver, quiet: float, timeout: float) -> None:
    """Until no request of the renderer has been under way or started for ``quiet`` seconds."""
    end = time.monotonic() + timeout
    last_change, seen = time.monotonic(), -1
    while time.monotonic() < end:
        pending, count = driver.execute_script(
            "return [window.__loadPending || 0, (window.__loadRec || []).length]"
        )
        if pending or count != seen:
            last_change, seen = time.monotonic(), count
        elif time.monotonic() - last_change >= quiet:
            return
        time.sleep(0.05)
    raise TimeoutError(f"the page kept sending requests for {timeout:.0f} s")


def _take(driver, name: str, document: str | None = None) -> Step:
    recs = driver.execute_script("const r = window.__loadRec || []; window.__loadRec = []; return r;")
    calls = [Call("GET", document, status=200)] if document else []
    for rec in recs:
        if rec["status"] not in OK_STATUSES:
            raise RuntimeError(f"{name}: the browser got {rec['status']} for {rec['method']} {rec['path']}")
        body = json.loads(rec["body"]) if rec["method"] == "POST" and rec["body"] else None
        calls.append(Call(rec["method"], rec["path"], body, rec["status"]))
    if not calls:
        raise RuntimeError(f"{name}: the page sent no request")
    return Step(name, tuple(calls))


def record_user(
    url: str, user: str, *, drills: int = 2, quiet: float = 0.6, timeout: float = 60.0, driver=None
) -> list[Step]:
    """The steps one demo user's browser sends: sign in onto the Overview, open Branches, then
    up to ``drills`` drills down on the units chart (fewer where the scope has no level below)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    own = driver is None
    driver = driver or _chrome()
    try:
        base = url.rstrip("/")
        driver.get(f"{base}/login?lang=en")
        driver.find_element(By.ID, "username").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORDS[user])
        driver.find_element(By.ID, "login-submit").click()
        try:
            WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.ID, "nav--user"))
        except TimeoutException:
            text = driver.find_element(By.TAG_NAME, "body").text[:500]
            raise SignInError(
                f"{user} not signed in after {timeout:.0f} s at {driver.current_url}: {text}"
            ) from None
        _wait_idle(driver, quiet, timeout)
        steps = [_take(driver, "overview", document="/")]
        driver.find_element(By.CSS_SELECTOR, 'a[href^="/branches"]').click()
        _wait_idle(driver, quiet, timeout)
        steps.append(_take(driver, "branches"))
        for level in range(1, drills + 1):
            bars = driver.find_elements(By.CSS_SELECTOR, UNITS_BARS)
            if not bars:
                break
            # Plotly's drag layer lies over the bars: click at the bar's position.
            ActionChains(driver).move_to_element(bars[0]).click().perform()
            WebDriverWait(driver, timeout).until(
                lambda d: d.find_element(By.ID, "frame--menu-down").is_displayed()
            )
            down = driver.find_element(By.ID, "frame--menu-down")
            if not down.is_enabled():
                break
            down.click()
            _wait_idle(driver, quiet, timeout)
            steps.append(_take(driver, f"drill {level}"))
        return steps
    finally:
        if own:
            driver.quit()


def record(url: str, users: Iterable[str], log: Callable[[str], None] = print, **options) -> Sequences:
    """:func:`record_user` for each user, in one browser (signed out between users)."""
    driver = _chrome()
    try:
        sequences = {}
        for user in users:
            driver.delete_all_cookies()
            sequences[user] = record_user(url, user, driver=driver, **options)
            log(
                f"recorded {user}: "
                + ", ".join(f"{s.name} ({len(s.calls)} requests)" for s in sequences[user])
            )
        return sequences
    finally:
        driver.quit()


# --- signed-in HTTP sessions -------------------------------------------------------------------

_HIDDEN_CSRF = re.compile(r"<input\b[^>]*\bname=[\"']csrf_token[\"'][^>]*>", re.IGNORECASE)
_META_CSRF = re.compile(r"<meta\b[^>]*\bname=[\"']csrf-token[\"'][^>]*>", re.IGNORECASE)
_VALUE = re.compile(r"\b(?:value|content)=[\"']([^\"']*)[\"']", re.IGNORECASE)


def csrf_token(html: str) -> str | None:
    """The hidden ``csrf_token`` input of a form (or a ``csrf-token`` meta tag), if the page has one."""
    for pattern in (_HIDDEN_CSRF, _META_CSRF):
        tag = pattern.search(html)
        if tag:
            value = _VALUE.search(tag.group(0))
            if value:
                return value.group(1)
    return None


class SignInError(RuntimeError):
    """The server did not sign the user in."""


@dataclass(frozen=True)
class Sample:
    """One request's outcome: ``status`` is the HTTP status, ``conn`` or ``timeout``."""

    user: str
    step: str
    kind: str
    start: float  # time.monotonic() when sent
    seconds: float
    status: str
    recorded: int | None = None  # the status the browser got for the same request

    @property
    def ok(self) -> bool:
        return self.status.isdigit() and int(self.status) in OK_STATUSES


@dataclass(frozen=True)
class Render:
    """One whole step (a view render or a drill), all its requests done."""

    user: str
    step: str
    start: float
    seconds: float
    ok: bool


class Client:
    """One signed-in browser session: its cookies, and the headers its renderer would send."""

    def __init__(self, url: str, user: str, timeout: float = 300.0):
        self.base, self.user, self.timeout = url.rstrip("/"), user, timeout
        self.http = requests.Session()  # signing in; the replay's requests go by http.client
        parts = urlsplit(self.base)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self.http.headers["Origin"] = self.base  # the callback route may check where posts come from
        self.token: str | None = None
        self.cookies: dict[str, str] | None = None

    def sign_in(self, password: str | None = None) -> Sample:
        """``GET /login``, then ``POST /login`` with the form's CSRF token if it has one."""
        start = time.monotonic()
        form = self.http.get(f"{self.base}/login?lang=en", timeout=self.timeout)
        data = {"username": self.user, "password": password or DEMO_PASSWORDS[self.user]}
        token = csrf_token(form.text)
        if token:
            data["csrf_token"] = token
        answer = self.http.post(
            f"{self.base}/login?lang=en",
            data=data,
            allow_redirects=False,
            timeout=self.timeout,
            headers={"Referer": f"{self.base}/login"},
        )
        if answer.status_code not in (302, 303):
            raise SignInError(f"{self.user}: sign-in answered {answer.status_code}: {answer.text[:300]}")
        return Sample(
            self.user, "sign in", "sign in", start, time.monotonic() - start, str(answer.status_code)
        )

    def send(self, call: Call, step: str = "") -> Sample:
        """One request as the browser sent it, on ``http.client`` (a fifth of the CPU that
        ``requests`` took per request: the driver shares the machine with the server)."""
        start = time.monotonic()
        headers = {"Cookie": self._cookie_header(), "Origin": self.base}
        body = None
        if call.body is not None:
            headers.update({"Accept": "application/json", "Content-Type": "application/json"})
            headers["Referer"] = f"{self.base}/"
            token = self._jar().get("_csrf_token") or self.token  # as Dash's renderer does
            if token:
                headers["X-CSRFToken"] = token
            body = json.dumps(call.body).encode()
        connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        try:
            connection.request("POST" if body is not None else "GET", call.path, body, headers)
            response = connection.getresponse()
            content = response.read()  # the whole answer, as a browser reads it
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
            if body is None and "html" in (response.headers.get("Content-Type") or ""):
                self.token = csrf_token(content.decode("utf-8", "replace")) or self.token
            status = str(response.status)
        except TimeoutError:
            status = "timeout"
        except (OSError, http.client.HTTPException):
            status = "conn"
        finally:
            connection.close()
        return Sample(self.user, step, call.kind, start, time.monotonic() - start, status, call.status)

    def _jar(self) -> dict[str, str]:
        """The session's cookies by name: those signing in set, then those answers set."""
        if self.cookies is None:
            self.cookies = dict(self.http.cookies.items())
        return self.cookies

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self._jar().items())

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            for name, morsel in SimpleCookie(line).items():
                self._jar()[name] = morsel.value

    def replay(self, step: Step) -> tuple[list[Sample], Render]:
        samples = [self.send(call, step.name) for call in step.calls]
        return samples, _render(self.user, step.name, samples)


def _render(user: str, step: str, samples: list[Sample]) -> Render:
    end = samples[-1].start + samples[-1].seconds
    return Render(user, step, samples[0].start, end - samples[0].start, all(s.ok for s in samples))


# --- the run -----------------------------------------------------------------------------------


@dataclass
class RunResult:
    """Everything one run measured (``elapsed``: from the start of the timed window until the
    last session stopped)."""

    url: str
    sessions: int
    users: list[str]
    duration: float
    pause: float
    elapsed: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    renders: list[Render] = field(default_factory=list)
    sign_ins: list[Sample] = field(default_factory=list)
    warmup_errors: int = 0
    driver_cpu: float = 0.0
    server_cpu: float | None = None  # CPU seconds of the server's workers in the window
    window_start: float = 0.0


def sign_in_sessions(
    url: str, users: Sequence[str], sessions: int, timeout: float = 300.0
) -> tuple[list[Client], list[Sample]]:
    """``sessions`` signed-in clients, user ``i mod len(users)`` for session ``i`` (one after
    the other: parallel sign-ins from one address are what the throttle is there to slow)."""
    clients, samples = [], []
    for i in range(sessions):
        client = Client(url, users[i % len(users)], timeout)
        samples.append(client.sign_in())
        clients.append(client)
    return clients, samples


def run_load(
    url: str,
    sequences: Sequences,
    sessions: int = 10,
    duration: float = 60.0,
    pause: float = 0.0,
    users: Sequence[str] | None = None,
    warmup: int = 1,
    timeout: float = 300.0,
    clients: list[Client] | None = None,
    on_start: Callable[[float], None] | None = None,
    server_pid: int | None = None,
) -> RunResult:
    """Sign in ``sessions`` sessions (or use ``clients``), warm up, then let every session
    replay its user's steps for ``duration`` seconds. ``on_start`` is called with the
    ``time.monotonic()`` the timed window starts at (a fault test starts its fault from it).
    With ``server_pid`` (the gunicorn master, on this machine), the CPU time its workers spend
    in the window is measured too."""
    users = list(users or sequences)
    missing = [u for u in users if not sequences.get(u)]
    if missing:
        raise ValueError(f"no recorded steps for {missing}")
    result = RunResult(url, sessions, users, duration, pause)
    if clients is None:
        clients, result.sign_ins = sign_in_sessions(url, users, sessions, timeout)
    first: dict[str, Client] = {}
    for client in clients:
        first.setdefault(client.user, client)
    for _ in range(warmup):
        for user, client in first.items():
            for step in sequences[user]:
                result.warmup_errors += sum(not s.ok for s in client.replay(step)[0])

    per_session: list[tuple[list[Sample], list[Render]]] = [([], []) for _ in clients]
    cpu_before = time.process_time()
    server_before = _workers_cpu(server_pid)
    start = time.monotonic()
    deadline = start + duration

    def loop(index: int) -> None:
        client, (samples, renders) = clients[index], per_session[index]
        steps = sequences[client.user]
        position = index
        if pause > 0:  # arrivals spread over one pause, not 200 sessions clicking at one instant
            time.sleep(index / len(clients) * pause)
        while time.monotonic() < deadline:
            step = steps[position % len(steps)]
            position += 1
            done = []
            for call in step.calls:
                if time.monotonic() >= deadline:
                    break
                done.append(client.send(call, step.name))
            samples.extend(done)
            if done and len(done) == len(step.calls):
                renders.append(_render(client.user, step.name, done))
            if pause > 0:
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(clients))]
    if on_start:
        on_start(start)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.monotonic() - start
    result.window_start = start
    result.driver_cpu = time.process_time() - cpu_before
    if server_pid:
        after = _workers_cpu(server_pid)
        result.server_cpu = sum(after[pid] - server_before.get(pid, 0.0) for pid in after)
    for samples, renders in per_session:
        result.samples.extend(samples)
        result.renders.extend(renders)
    return result


def _workers_cpu(master: int | None) -> dict[int, float]:
    """User + system CPU seconds of each child of ``master`` (a worker started in the window
    counts from zero)."""
    if not master:
        return {}
    import psutil

    seen = {}
    for child in psutil.Process(master).children():
        try:
            times = child.cpu_times()
            seen[child.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return seen


# --- figures -----------------------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between the closest ranks
    (numpy's default); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _latency(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else math.nan,
    }


def summarise(result: RunResult) -> dict:
    """The figures of a run as plain data (what ``--json`` writes)."""
    elapsed = result.elapsed or math.nan
    by_kind, errors_by_kind = defaultdict(list), Counter()
    for s in result.samples:
        by_kind[s.kind].append(s.seconds)
        errors_by_kind[s.kind] += not s.ok
    by_step = defaultdict(list)
    for r in result.renders:
        if r.ok:
            by_step[r.step].append(r.seconds)
    ok_renders = [r for r in result.renders if r.ok]
    return {
        "url": result.url,
        "sessions": result.sessions,
        "users": result.users,
        "duration_s": result.duration,
        "pause_s": result.pause,
        "elapsed_s": result.elapsed,
        "renders": len(ok_renders),
        "failed_renders": len(result.renders) - len(ok_renders),
        "renders_per_s": len(ok_renders) / elapsed,
        "view_layouts_per_s": sum(s.ok and s.kind == ROUTER_KIND for s in result.samples) / elapsed,
        "requests": len(result.samples),
        "requests_per_s": len(result.samples) / elapsed,
        "errors": dict(Counter(s.status for s in result.samples if not s.ok)),
        "statuses": dict(Counter(s.status for s in result.samples)),
        # answered OK but not as the browser was (a 204 for a 200: the callback did not update)
        "unlike_recording": sum(
            s.ok and s.recorded is not None and s.status != str(s.recorded) for s in result.samples
        ),
        "render_latency": {"all": _latency([r.seconds for r in ok_renders])}
        | {step: _latency(v) for step, v in sorted(by_step.items())},
        "request_latency": {
            "all": _latency([s.seconds for s in result.samples]) | {"errors": sum(errors_by_kind.values())}
        }
        | {kind: _latency(v) | {"errors": errors_by_kind[kind]} for kind, v in sorted(by_kind.items())},
        "sign_in": _latency([s.seconds for s in result.sign_ins]),
        "warmup_errors": result.warmup_errors,
        "driver_cpu_s": result.driver_cpu,
        "server_cpu_s": result.server_cpu,
        "server_cpu_ms_per_render": (
            result.server_cpu * 1000 / len(ok_renders) if result.server_cpu and ok_renders else None
        ),
        "server_cpu_ms_per_request": (
            result.server_cpu * 1000 / len(result.samples) if result.server_cpu and result.samples else None
        ),
    }


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _cells(lat: dict) -> list[str]:
    return [_ms(lat[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]


def report(summary: dict) -> str:
    """The summary as Markdown tables."""
    s = summary
    lines = [
        f"sessions {s['sessions']} ({', '.join(s['users'])}), duration {s['duration_s']:.0f} s, "
        f"pause {s['pause_s']:g} s, elapsed {s['elapsed_s']:.1f} s, driver CPU {s['driver_cpu_s']:.1f} s"
        + (
            f", server workers' CPU {s['server_cpu_s']:.1f} s "
            f"({s['server_cpu_ms_per_render']:.0f} ms per render, "
            f"{s['server_cpu_ms_per_request']:.0f} per request)"
            if s["server_cpu_ms_per_render"]
            else ""
        ),
        f"renders {s['renders']} ({s['renders_per_s']:.2f}/s; view layouts {s['view_layouts_per_s']:.2f}/s), "
        f"failed renders {s['failed_renders']}, "
        f"requests {s['requests']} ({s['requests_per_s']:.2f}/s), "
        f"errors {s['errors'] or 'none'}, warm-up errors {s['warmup_errors']}, "
        f"answered unlike the recording {s['unlike_recording']}",
        "",
        _row("render (whole step)", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"),
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(name, lat["n"], *_cells(lat)) for name, lat in s["render_latency"].items()]
    lines += ["", _row("request kind", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    lines += [_row(kind, lat["n"], lat["errors"], *_cells(lat)) for kind, lat in s["request_latency"].items()]
    sign_in = s["sign_in"]
    if sign_in["n"]:
        p50, p95 = _ms(sign_in["p50_ms"]), _ms(sign_in["p95_ms"])
        lines += ["", f"sign-in (before the window): n {sign_in['n']}, p50 {p50} ms, p95 {p95} ms"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--url",
        default="http://127.0.0.1:8050",
        help="the running server (gunicorn.conf.py binds HOST:PORT, 8050)",
    )
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of the timed window")
    ap.add_argument("--pause", type=float, default=0.0, help="seconds each session waits between steps")
    ap.add_argument("--users", default=",".join(DEFAULT_USERS), help="comma-separated demo users")
    ap.add_argument("--warmup", type=int, default=1, help="untimed passes over each user's steps first")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds one request may take")
    ap.add_argument(
        "--sequences", type=Path, help="recorded steps: read if the file exists, else recorded and saved"
    )
    ap.add_argument(
        "--record-only", action="store_true", help="record (and save with --sequences), then stop"
    )
    ap.add_argument("--json", type=Path, help="also write the summary as JSON here")
    ap.add_argument(
        "--server-pid", type=int, help="gunicorn master on this machine: measure its workers' CPU"
    )
    args = ap.parse_args(argv)
    users = [u.strip() for u in args.users.split(",") if u.strip()]
    unknown = [u for u in users if u not in DEMO_PASSWORDS]
    if unknown:
        ap.error(f"not demo users: {unknown}")

    if args.sequences and args.sequences.exists() and not args.record_only:
        sequences = load_sequences(args.sequences)
    else:
        sequences = record(args.url, users, log=lambda line: print(line, flush=True))
        if args.sequences:
            save_sequences(sequences, args.sequences)
    if args.record_only:
        return {}
    result = run_load(
        args.url,
        sequences,
        args.sessions,
        args.duration,
        args.pause,
        users,
        args.warmup,
        args.timeout,
        server_pid=args.server_pid,
    )
    summary = summarise(result)
    print(report(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
