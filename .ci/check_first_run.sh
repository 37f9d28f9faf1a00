#!/usr/bin/env bash
# The README's first command on a fresh machine: `make run` with a new virtualenv's python
# (so it installs requirements.txt ALONE, then runs `python app.py`) on an empty home, until
# GET /login answers 200 with the sign-in form.
# `make test` cannot show this: it installs the dev requirements on top, which can hide a
# missing runtime package. Fails (non-zero, printing the app's log) if the app does not serve.
#   TIMEOUT=seconds    how long install + first start (demo generation included) may take; 600
set -euo pipefail
cd "$(dirname "$0")/.."
TIMEOUT=${TIMEOUT:-600}
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
app_pid=""
cleanup() {
    local since=$SECONDS
    if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
        kill -- "-$app_pid" 2>/dev/null || kill "$app_pid" || true
        wait "$app_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    echo "first run: stopped and cleaned up in $((SECONDS - since)) s"
}
trap cleanup EXIT
# Nothing from the outer environment may leak packages into the fresh virtualenv.
unset PYTHONPATH PYTHONHOME PYTHONUSERBASE VIRTUAL_ENV

started=$SECONDS
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "first run: make run with a fresh virtualenv (requirements.txt alone)..."
"$PYTHON" -m venv "$work/venv"
# A clean environment (no MAMS_* from the caller), an empty home: the demo is generated there.
# Unbuffered, so a timeout prints everything the app said so far. PIP_NO_COMPILE: byte-compiling
# all of pandas, sklearn and pyarrow up front only made the install slower here.
# setsid: make and the app it starts form one process group, stopped together at the end.
setsid env -i PATH="$PATH" HOME="$work" LANG=C.UTF-8 PYTHONUNBUFFERED=1 PIP_NO_COMPILE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 MAMS_HOME="$work/home" HOST=127.0.0.1 PORT="$port" \
    make run PYTHON="$work/venv/bin/python" >"$work/app.log" 2>&1 &
app_pid=$!

served=$SECONDS
probe="import sys, urllib.request
with urllib.request.urlopen('http://127.0.0.1:$port/login', timeout=5) as r:
    sys.exit(0 if r.status == 200 and b'id=\"login-form\"' in r.read() else 1)"
until "$PYTHON" -c "$probe" 2>/dev/null; do
    if ! kill -0 "$app_pid" 2>/dev/null; then
        echo "first run FAILED: make run exited before serving /login. Its log:"
        cat "$work/app.log"
        exit 1
    fi
    if ((SECONDS - served > TIMEOUT)); then
        echo "first run FAILED: no sign-in form on /login within $TIMEOUT s. The app's log:"
        cat "$work/app.log"
        exit 1
    fi
    sleep 2
done
echo "first run: /login served the sign-in form on port $port after $((SECONDS - served)) s" \
    "(install + start: $((SECONDS - started)) s)"
