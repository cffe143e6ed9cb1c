"""The range of the numbers that name rows: 1 to 2^31-1, the range of an ``INTEGER`` key.

PostgreSQL refuses to compare an ``INTEGER`` column with a larger number ("integer out of range"),
so a number from outside is checked against this range where it comes in (the path, the query,
a form or an API body), never handed to a query as it is. Out of range means "no such row": 404
in a path, 422 (or "not chosen") in a query or a body.

* :class:`BoundedIntConverter` replaces Flask's ``int`` converter app-wide, so every
  ``<int:item_id>`` route answers 404 for 0, a negative number or one above the range.
* :func:`row_id` is a ``type=`` for ``request.args.get``: out of range is "not given".
* :func:`id_field` is a marshmallow field for ids in API queries and bodies (422 out of range).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1
"""The largest row id (and the largest integer any request may send for a 32-bit column)."""


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded to 1..MAX_ID unless a route says otherwise."""

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def in_range(number: int, low: int = 1, high: int = MAX_ID) -> bool:
    return low <= number <= high


def row_id(value: str) -> int:
    """``request.args.get("group", type=row_id)``: a row id, or ``ValueError`` (then ``get``
    answers its default, as for any value that is not a number)."""
    number = int(value)
    if not in_range(number):
        raise ValueError(f"not a row id: {value!r}")
    return number


def row_ids(values: list[str]) -> list[int]:
    """The row ids among these form values (``request.form.getlist``); anything else is left out."""
    # ASCII digits only ("²" is a digit to str.isdigit but not to int) and no longer than MAX_ID.
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 10 and in_range(int(v))]


def id_field(**kwargs: Any) -> fields.Integer:
    """An id in an API query or body: a whole number from 1 to MAX_ID (otherwise 422)."""
    return fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def bounded_integer(low: int = 0, high: int = MAX_ID, **kwargs: Any) -> fields.Integer:
    """Any other integer of an API body that goes into a 32-bit column (sizes, counts)."""
    return fields.Integer(validate=validate.Range(min=low, max=high), **kwargs)
