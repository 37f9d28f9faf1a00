"""Gunicorn settings: `gunicorn app:server -w 4` picks this file up from the working folder.

The demo warehouse and users are prepared once, before any worker starts, in a child process:
the master then holds no open database that forked workers could inherit, and the workers
only ever open the warehouse read-only instead of racing to build it.
"""

import subprocess
import sys

from settings import get_settings

bind = f"{get_settings().host}:{get_settings().port}"  # HOST and PORT, as for python app.py; -b overrides
# gunicorn 27 opens one control socket per user (~/.gunicorn/gunicorn.ctl): two servers on one
# machine (two ports, a test beside a running app) would fight over it; we do not use it
control_socket_disable = True


def on_starting(server):  # noqa: ARG001 - gunicorn's hook signature
    subprocess.run([sys.executable, "-c", "import app; app.prepare_demo()"], check=True)


def post_worker_init(worker):
    """Each worker prepares every new data version's views in the background (cube.warm), and
    says so in gunicorn's log ("warmed data version ...: ..., 14.5 s (13.3 s CPU)")."""
    import logging

    from cube import warm

    warm_log = logging.getLogger(warm.__name__)
    warm_log.setLevel(logging.INFO)
    for handler in worker.log.error_log.handlers:
        warm_log.addHandler(handler)
    warm.start()
