"""The background-job manager, and what a background callback says when it cannot have one.

Dash's diskcache manager keeps job results in a folder (``data.paths.jobs_cache_dir``). If that
folder cannot be written (wrong owner, read-only files, a full disk) the app still starts and
serves: :func:`manager` then returns a manager that refuses every job, and :func:`on_error`
(the app's callback error handler) turns the refusal into a message in the callback's output
instead of a 500. Every other callback error is re-raised unchanged.
"""

from __future__ import annotations

import logging
import sqlite3

import dash
import dash_bootstrap_components as dbc
import diskcache
from dash import DiskcacheManager
from dash.background_callback.managers import BaseBackgroundCallbackManager

from components.i18n import t
from pages._session import current_lang

log = logging.getLogger(__name__)
# What a jobs folder that cannot be written raises (the OS, diskcache's SQLite index, its lock)
FAULTS = (OSError, sqlite3.Error, diskcache.Timeout)


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


def _unavailable(exc: BaseException) -> JobsUnavailable:
    log.warning("Background jobs unavailable: the job folder cannot be used (%s)", exc)
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
