"""The background-job manager, and what a background callback says when it cannot have one.

One machine (the default): Dash's diskcache manager runs each job in a process of this machine
and keeps results in a folder (``data.paths.jobs_cache_dir``). If that folder cannot be written
(wrong owner, read-only files, a full disk) the app still starts and serves: :func:`manager` then
returns a manager that refuses every job, and :func:`on_error` (the app's callback error
handler) turns the refusal into a message in the callback's output instead of a 500. Every other
callback error is re-raised unchanged.

Several machines (``MAMS_JOBS=celery``, the default with ``MAMS_REDIS_URL``): Dash's Celery
manager (:func:`celery_manager`) sends each job to Redis for a Celery worker on any machine
(``pages._celery``); a Redis that is down or does not answer becomes the same refusal, job by
job, and jobs work again as soon as Redis does (no restart).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import dash
import dash_bootstrap_components as dbc
import diskcache
from dash import CeleryManager, DiskcacheManager
from dash.background_callback.managers import BaseBackgroundCallbackManager
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from components.i18n import t
from pages._session import current_lang

log = logging.getLogger(__name__)
# What a jobs folder that cannot be written raises (the OS, diskcache's SQLite index, its lock)
FAULTS = (OSError, sqlite3.Error, diskcache.Timeout)
# What a Redis that is down, full or unreachable raises: kombu when sending a job (after its
# short retry policy), redis-py when reading progress and results
REDIS_FAULTS = (OSError, OperationalError, RedisError)


class JobsUnavailable(RuntimeError):
    """Background jobs cannot run here: the job folder cannot be written."""


class GuardedJobs(DiskcacheManager):
    """Dash's diskcache manager, whose folder faults (e.g. the disk fills up while serving)
    become :class:`JobsUnavailable`, answered with a message by :func:`on_error`."""

    def call_job_fn(self, key, job_fn, args, context):
        try:
            return super().call_job_fn(key, job_fn, args, context)
        except FAULTS as exc:
            raise _unavailable(exc) from exc

    def get_progress(self, key):
        try:
            return super().get_progress(key)
        except FAULTS as exc:
            raise _unavailable(exc) from exc

    def get_result(self, key, job):
        try:
            return super().get_result(key, job)
        except FAULTS as exc:
            raise _unavailable(exc) from exc

    def get_updated_props(self, key):
        try:
            return super().get_updated_props(key)
        except FAULTS as exc:
            raise _unavailable(exc) from exc


def _is_redis_fault(exc: BaseException) -> bool:
    # Celery's result store gives up reconnecting with a plain RuntimeError
    return isinstance(exc, REDIS_FAULTS) or (type(exc) is RuntimeError and "Celery result store" in str(exc))


@contextmanager
def _redis_guard() -> Iterator[None]:
    """Redis faults become :class:`JobsUnavailable`; anything else goes through unchanged."""
    try:
        yield
    except Exception as exc:
        if not _is_redis_fault(exc):
            raise
        raise _unavailable(exc, "Redis") from exc


class GuardedCeleryJobs(CeleryManager):
    """Dash's Celery manager, whose Redis faults become :class:`JobsUnavailable` (a message in
    the page, by :func:`on_error`) instead of a 500; stopping a job is best effort."""

    def call_job_fn(self, key, job_fn, args, context):
        with _redis_guard():
            return super().call_job_fn(key, job_fn, args, context)

    def get_progress(self, key):
        with _redis_guard():
            return super().get_progress(key)

    def result_ready(self, key):
        with _redis_guard():
            return super().result_ready(key)

    def get_result(self, key, job):
        with _redis_guard():
            return super().get_result(key, job)

    def get_updated_props(self, key):
        with _redis_guard():
            return super().get_updated_props(key)

    def job_running(self, job):
        with _redis_guard():
            return super().job_running(job)

    def terminate_job(self, job):
        try:
            return super().terminate_job(job)
        except Exception as exc:
            if not _is_redis_fault(exc):
                raise
            # the run list still records the cancel (ops store); the run stops at its next step
            log.warning("Could not stop background job %s: Redis is unavailable (%s)", job, exc)
            return None


class UnavailableJobs(BaseBackgroundCallbackManager):
    """Stands in when the job folder could not be opened at start: every job is refused."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(None)

    def make_job_fn(self, fn, progress, key=None):
        return fn

    def call_job_fn(self, key, job_fn, args, context):
        raise JobsUnavailable(self.reason)

    def terminate_job(self, job):
        return None

    def terminate_unhealthy_job(self, job):
        return None

    def job_running(self, job):
        return False

    def get_progress(self, key):
        return None

    def result_ready(self, key):
        return False

    def get_result(self, key, job):
        return self.UNDEFINED

    def get_updated_props(self, key):
        return {}

    def clear_cache_entry(self, key):
        return None


def _unavailable(exc: BaseException, what: str = "the job folder") -> JobsUnavailable:
    log.warning("Background jobs unavailable: %s cannot be used (%s)", what, exc)
    return JobsUnavailable(str(exc))


def manager(open_cache, folder_name: str = "jobs") -> BaseBackgroundCallbackManager:
    """The diskcache manager over ``open_cache()`` (a ``diskcache.Cache``), or, if the folder
    cannot be made or written, one that refuses jobs; either way the app starts.

    ``open_cache`` is called here, so the folder's faults are caught in one place.
    """
    try:
        cache = open_cache()
        cache.set("__mams_write_check__", 1)  # an index that opens read-only fails here, not mid-job
        return GuardedJobs(cache)
    except FAULTS as exc:
        log.warning(
            "Background jobs are unavailable: the %s folder cannot be written (%s). The app serves "
            "without them; make the folder writable by the user the app runs as (or free disk "
            "space) and restart.",
            folder_name,
            exc,
        )
        return UnavailableJobs(str(exc))


def celery_manager() -> BaseBackgroundCallbackManager:
    """Dash's Celery manager over ``pages._celery.celery_app`` (Redis as broker and result
    store). Nothing is asked of Redis here: a Redis down at start refuses jobs one by one until
    it is back."""
    from pages._celery import celery_app  # only a node configured for Celery imports celery's app

    return GuardedCeleryJobs(celery_app)


def on_error(err: Exception):
    """The app's callback error handler: a refused job becomes a message in the callback's
    first ``children`` output (no update elsewhere); any other error is raised as before."""
    if not isinstance(err, JobsUnavailable):
        raise err
    message = dbc.Alert(t("jobs.unavailable", current_lang()), color="warning", id="jobs--unavailable")
    outputs = dash.callback_context.outputs_list
    if isinstance(outputs, dict):
        return message if outputs.get("property") == "children" else dash.no_update
    values = [dash.no_update] * len(outputs)
    for i, spec in enumerate(outputs):
        if isinstance(spec, dict) and spec.get("property") == "children":
            values[i] = message
            break
    return values
