"""Why a model run cannot go ahead, in terms a user can act on.

Mining holds no UI text: a refusal carries a message *key* and its parameters, which the page
translates (``models.refused.<key>`` in the message catalog), plus an English fallback for
logs, the registry and the Python prompt.
"""

from __future__ import annotations


class RunRefused(ValueError):
    """A run (or a model fit) that cannot work on these data or with these parameters.

    Parameters
    ----------
    key : str
        Short code of the reason, e.g. ``"churn.no_closures"``; pages translate it.
    message : str
        English fallback, a ``str.format`` template filled from ``params``.
    **params
        Values the message names (JSON-serialisable: numbers and strings).
    """

    def __init__(self, key: str, message: str, **params: object):
        self.key = key
        self.params = params
        self.template = message
        super().__init__(message.format(**params))

    def as_dict(self) -> dict:
        """``{"key", "params", "message"}``: what the registry keeps of the refusal."""
        return {"key": self.key, "params": self.params, "message": str(self)}


class RunUnderWay(RunRefused):
    """A run of the same kind is already running on the same warehouse version."""
