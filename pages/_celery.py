"""The Celery app behind Dash's Celery background-callback manager (several machines).

With ``MAMS_JOBS=celery`` (the default when ``MAMS_REDIS_URL`` is set) a background callback
(a model run, a deck or pack export) is sent to Redis, a Celery worker on any machine runs it,
and any web node reads its progress and result from Redis. A worker is started from the code's
folder, with the same settings as the web nodes::

    celery -A pages._celery worker --concurrency 2 --loglevel INFO

The worker imports :mod:`app` at start (``imports`` below): the pages register their background
callbacks as Celery tasks there, under the names the web nodes send (a hash of each callback's
source, so web nodes and workers must run the same release).

Messages are JSON only (never pickle, so nothing a writer to Redis puts there is unpickled).
A worker takes one job at a time per process (``worker_prefetch_multiplier=1``): a model run is
long, and a job waiting behind it should go to an idle worker. Results and progress expire after
a day (Celery's ``result_expires``). A worker also looks every ``REAP_SECONDS`` for model runs
whose process on its machine died (e.g. a cancelled job's process, stopped by Dash) and records
them, since only a process on that machine can see that.
"""

from __future__ import annotations

import logging
import threading

from celery import Celery, signals

from settings import get_settings

log = logging.getLogger(__name__)
REAP_SECONDS = 30.0
# a Redis that does not answer: the web node says the jobs are unavailable instead of waiting
SOCKET_TIMEOUT_SECONDS = 5.0
QUICK_RETRIES = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def make_celery(redis_url: str) -> Celery:
    """A Celery app with Redis as broker and result store, configured for Dash's jobs."""
    celery = Celery("mams", broker=redis_url, backend=redis_url)
    celery.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_max_tasks_per_child=20,  # a fresh process now and then: model fits leave memory behind
        task_track_started=True,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
            "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        },
        redis_socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        redis_socket_timeout=SOCKET_TIMEOUT_SECONDS,
        # a Redis that is down: a few quick tries, then the page says so (Celery's defaults
        # retry for about 20 s, holding the request)
        task_publish_retry_policy=QUICK_RETRIES,
        result_backend_transport_options={"retry_policy": QUICK_RETRIES},
        imports=("app",),  # the worker registers the pages' background callbacks as tasks
    )
    return celery


def _celery() -> Celery:
    url = get_settings().redis_url
    if not url:
        raise SystemExit(
            "Background jobs on Celery need MAMS_REDIS_URL (redis://host:6379/0): set it, the "
            "same as on the web nodes, before starting a worker (see docs/deploy.md)"
        )
    return make_celery(url)


celery_app = _celery()


@signals.worker_ready.connect
def _start_reaper(**_kwargs) -> None:
    """In the worker's main process: record, now and then, the model runs whose process on this
    machine is gone (the web nodes cannot look at another machine's processes)."""

    def reap_forever() -> None:
        from mining import runs

        while True:
            try:
                runs.reap()
            except Exception:  # noqa: BLE001 - the ops store may be down a moment; try again later
                log.warning("could not look for stopped model runs", exc_info=True)
            stop.wait(REAP_SECONDS)

    stop = threading.Event()
    threading.Thread(target=reap_forever, name="mams-reaper", daemon=True).start()
