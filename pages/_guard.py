"""The shape of a callback request, checked before Dash dispatches it.

The browser's renderer always posts a JSON object naming a registered callback (``output``),
the outputs it expects and one ``{id, property, value}`` entry per declared input and state (a
list of them for an ``ALL`` pattern). Anything else was not sent by a browser: it is answered
400 with a JSON message here, instead of a KeyError or a CallbackException (a 500) inside Dash.
The values themselves are not judged here (every callback coerces its own arguments), but for
the address bar's, which Dash's page router reads as strings. A callback that refuses the user
(:class:`pages._session.NotAllowed`, e.g. another role's forged request) answers 403.
"""

from __future__ import annotations

import json

import dash
import flask
from dash import _callback

from pages._session import NotAllowed

CALLBACK_PATH = "/_dash-update-component"
WILDCARDS = ("MATCH", "ALL", "ALLSMALLER")
LOCATION = "_pages_location"  # the browser's address, kept by dcc.Location: strings only
LOCATION_VALUES = {
    "pathname": lambda v: v is None or (isinstance(v, str) and v.startswith("/")),
    "search": lambda v: v is None or isinstance(v, str),
}


class BadRequest(ValueError):
    """A callback request no browser would send; the message says what is wrong."""


def install(server: flask.Flask) -> None:
    """Check every POST to the callback route (after Dash has registered its callbacks)."""
    server.register_error_handler(NotAllowed, _forbidden)

    @server.before_request
    def check_callback_request():
        if flask.request.path != CALLBACK_PATH or flask.request.method != "POST":
            return None
        try:
            check(flask.request.get_json(silent=True), _Registered())
        except BadRequest as problem:
            return flask.jsonify({"error": f"bad callback request: {problem}"}), 400
        return None


def _forbidden(_error: NotAllowed):
    return flask.jsonify({"error": "forbidden: your role may not do this"}), 403


class _Registered:
    """The app's callback map, and the global one Dash copies into it at the first request."""

    def get(self, output: str):
        return dash.get_app().callback_map.get(output) or _callback.GLOBAL_CALLBACK_MAP.get(output)


def check(body, callbacks) -> None:
    """Raise :class:`BadRequest` unless ``body`` is a callback request for one of ``callbacks``
    (a mapping like Dash's callback map: output key -> spec) with outputs, inputs and state as
    declared."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    output = body.get("output")
    spec = callbacks.get(output) if isinstance(output, str) else None
    if spec is None or not callable(spec.get("callback")):
        raise BadRequest("'output' names no server callback")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadRequest("'changedPropIds' must be a list of strings")
    for key in ("inputs", "state"):
        declared = [(_parse_id(d["id"]), d["property"]) for d in spec.get(key, [])]
        _check_list(key, body.get(key, [] if key == "state" else None), declared)
    if not spec.get("no_output"):
        _check_outputs(body.get("outputs"), spec.get("output"))


def _check_outputs(sent, declared) -> None:
    multi = isinstance(declared, list | tuple)
    wanted = [(o.component_id, o.component_property) for o in (declared if multi else [declared])]
    if multi:
        _check_list("outputs", sent, wanted)
    else:
        _check_entry("outputs", sent, *wanted[0])


def _check_list(key: str, sent, declared: list[tuple]) -> None:
    if not isinstance(sent, list) or len(sent) != len(declared):
        raise BadRequest(f"'{key}' must be a list of {len(declared)} entries")
    for entry, (id_, prop) in zip(sent, declared, strict=True):
        _check_entry(key, entry, id_, prop)


def _check_entry(key: str, entry, id_, prop: str) -> None:
    """One declared dependency: an {id, property} dict, or a list of them for ALL patterns."""
    if isinstance(id_, dict) and any(v in ("ALL", "ALLSMALLER") for v in _wild(id_)):
        if not isinstance(entry, list):
            raise BadRequest(f"'{key}' entry for a pattern must be a list")
        for item in entry:
            _check_one(key, item, id_, prop)
    else:
        _check_one(key, entry, id_, prop)


def _check_one(key: str, entry, id_, prop: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("property"), str):
        raise BadRequest(f"each '{key}' entry must be an object with 'id' and 'property'")
    # the renderer adds "@<hash>" to outputs that allow duplicates
    if entry["property"].split("@")[0] != prop or not _id_matches(entry.get("id"), id_):
        raise BadRequest(f"'{key}' does not match the callback's declaration")
    valid = LOCATION_VALUES.get(prop) if id_ == LOCATION else None
    if valid and not valid(entry.get("value")):
        raise BadRequest(f"the address bar's {prop} must be a path string")  # Dash's router needs one


def _id_matches(sent, declared) -> bool:
    if not isinstance(declared, dict):
        return sent == declared
    if not isinstance(sent, dict) or sent.keys() != declared.keys():
        return False
    for name, value in declared.items():
        wild = _wild({name: value})
        if wild and not isinstance(sent[name], str | int | float | bool):
            return False  # a pattern's key takes a scalar value
        if not wild and sent[name] != value:
            return False
    return True


def _wild(id_: dict) -> list[str]:
    """The wildcard names in a pattern id (as Dash serialises them: ["ALL"], or the object)."""
    found = []
    for value in id_.values():
        name = value[0] if isinstance(value, list) and len(value) == 1 else getattr(value, "value", None)
        if name in WILDCARDS:
            found.append(name)
    return found


def _parse_id(id_):
    """Pattern ids are JSON objects in the callback map's inputs and state."""
    if isinstance(id_, str) and id_.startswith("{"):
        return json.loads(id_)
    return id_
