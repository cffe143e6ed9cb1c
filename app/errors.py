"""The one base of every error the domain raises on purpose, and the HTTP status it answers with.

An operation raises ``SomethingError(code, message)``: ``code`` is for programs (the API's
``error.code``), the message is for people, already in the request's language (the API takes it
from Accept-Language), and ``status`` is what the web and the API both answer. Each module's error
class lists its codes' statuses once (``statuses``); nowhere else maps an error to a status.
``app.core.errors`` turns an error no view handled into an error page or the API's JSON body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """A request the rules refuse. Nothing it touched is kept, unless ``keep_changes`` says so."""

    default_status: ClassVar[int] = 422
    statuses: ClassVar[Mapping[str, int]] = {}
    # A refused export is audited: its audit row is committed although the export is refused.
    keep_changes: ClassVar[bool] = False

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status: int = status or self.statuses.get(code, self.default_status)

    @property
    def message(self) -> str:
        return str(self)

    def details(self) -> dict[str, Any]:
        """Extra fields of the API's error body (``{"error": {"code", "message", ...}}``)."""
        return {}


class NotFound(DomainError):
    """An object that does not exist or that the caller may not see (the same answer for both)."""

    default_status = 404
