from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, time
from typing import Any

from babel import Locale
from flask import Flask

class Babel:
    def __init__(
        self,
        app: Flask | None = ...,
        *,
        locale_selector: Callable[[], str | None] | None = ...,
        timezone_selector: Callable[[], str | None] | None = ...,
        **kwargs: Any,
    ) -> None: ...
    def init_app(
        self,
        app: Flask,
        *,
        locale_selector: Callable[[], str | None] | None = ...,
        timezone_selector: Callable[[], str | None] | None = ...,
        **kwargs: Any,
    ) -> None: ...

def gettext(string: str, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...

# A LazyString at run time: a proxy that is translated when it is turned into text, and that
# WTForms labels, Jinja and str() treat as a str.
def lazy_gettext(string: str, **variables: Any) -> str: ...
def get_locale() -> Locale | None: ...
def force_locale(locale: str) -> AbstractContextManager[None]: ...
def format_date(date: date | datetime | None = ..., format: str | None = ..., rebase: bool = ...) -> str: ...
def format_datetime(datetime: datetime | None = ..., format: str | None = ..., rebase: bool = ...) -> str: ...
def format_time(time: time | datetime | None = ..., format: str | None = ..., rebase: bool = ...) -> str: ...
def format_number(number: int | float) -> str: ...
