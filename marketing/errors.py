"""Errors of the marketing loop that a page shows to the person who caused them."""

from __future__ import annotations


class MarketingInputError(ValueError):
    """Bad input, naming the field (and the row of a file) so a person can fix it.

    Attributes
    ----------
    field : str
        The form field or file column that is wrong, e.g. ``"start_date"``.
    row : int or None
        The 1-based data row of an imported file (the header is row 0), if any.
    """

    def __init__(self, field: str, message: str, row: int | None = None) -> None:
        self.field = field
        self.row = row
        where = f"row {row}, {field}" if row is not None else field
        super().__init__(f"{where}: {message}")


class NotPermitted(PermissionError):
    """The acting user's role or scope does not allow this step (the page answers 403 or says so)."""


class StaleCampaign(RuntimeError):
    """Someone else changed the campaign since it was read: reload and try again."""
