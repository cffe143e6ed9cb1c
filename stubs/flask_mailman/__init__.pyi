from collections.abc import Sequence
from typing import Any

from flask import Flask

class Mail:
    def __init__(self, app: Flask | None = ...) -> None: ...
    def init_app(self, app: Flask) -> None: ...

class EmailMessage:
    def __init__(
        self,
        subject: str = ...,
        body: str = ...,
        from_email: str | None = ...,
        to: Sequence[str] | None = ...,
        bcc: Sequence[str] | None = ...,
        connection: Any = ...,
        attachments: Any = ...,
        headers: dict[str, str] | None = ...,
        cc: Sequence[str] | None = ...,
        reply_to: Sequence[str] | None = ...,
    ) -> None: ...
    def send(self, fail_silently: bool = ...) -> int: ...
