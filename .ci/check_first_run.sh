#!/usr/bin/env bash
# The README's first command on a fresh machine: requirements.txt ALONE in a new virtualenv,
# then `python app.py` on an empty home, until GET /login answers 200 with the sign-in form.
# `make test` cannot show this: it installs the dev requirements on top, which can hide a
# missing runtime package. Fails (non-zero, printing the app's log) if the app does not serve.
#   REQUIREMENTS=path  another requirements file (e.g. an edited copy, to see this check fail)
#   TIMEOUT=seconds    how long the first start (demo generation included) may take; 180
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=${REQUIREMENTS:-requirements.txt}
TIMEOUT=${TIMEOUT:-180}
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
app_pid=""
cleanup() {
    local since=$SECONDS
    if [[ -n "$app_pid" ]] && kill -0 "$app_pid" 2>/dev/null; then
        kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    echo "first run: stopped and cleaned up in $((SECONDS - since)) s"
}
trap cleanup EXIT
# Nothing from the outer environment may leak packages into the fresh virtualenv.
unset PYTHONPATH PYTHONHOME PYTHONUSERBASE VIRTUAL_ENV

started=$SECONDS
echo "first run: installing $REQUIREMENTS alone into a fresh virtualenv..."
"$PYTHON" -m venv "$work/venv"
# --no-compile: the app compiles what it imports; byte-compiling all of pandas, sklearn and
# pyarrow up front only made the install (and deleting the venv afterwards) slower here.
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check --no-compile -r "$REQUIREMENTS"
echo "first run: installed in $((SECONDS - started)) s"

port=$("$work/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A clean environment (no MAMS_* from the caller), an empty home: the demo is generated there.
# Unbuffered, so a timeout prints everything the app said so far.
env -i PATH="$PATH" HOME="$work" LANG=C.UTF-8 PYTHONUNBUFFERED=1 \
    MAMS_HOME="$work/home" HOST=127.0.0.1 PORT="$port" \
    "$work/venv/bin/python" app.py >"$work/app.log" 2>&1 &
app_pid=$!

served=$SECONDS
probe="import sys, urllib.request
with urllib.request.urlopen('http://127.0.0.1:$port/login', timeout=5) as r:
    sys.exit(0 if r.status == 200 and b'id=\"login-form\"' in r.read() else 1)"
until "$work/venv/bin/python" -c "$probe" 2>/dev/null; do
    if ! kill -0 "$app_pid" 2>/dev/null; then
        echo "first run FAILED: python app.py exited before serving /login. Its log:"
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
