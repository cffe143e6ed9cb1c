from collections.abc import Callable
from typing import Any, TypeVar

import flask
from flask import Flask

_F = TypeVar("_F", bound=Callable[..., Any])

class Blueprint(flask.Blueprint):
    def __init__(
        self, name: str, import_name: str, *args: Any, description: str | None = ..., **kwargs: Any
    ) -> None: ...
    def route(self, rule: str, *, parameters: Any = ..., tags: Any = ..., **options: Any) -> Callable[[_F], _F]: ...
    def arguments(
        self,
        schema: Any,
        *,
        location: str = ...,
        content_type: str | None = ...,
        required: bool = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Any = ...,
        **kwargs: Any,
    ) -> Callable[[_F], _F]: ...
    def response(
        self,
        status_code: int | str,
        schema: Any = ...,
        *,
        content_type: str | None = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Any = ...,
        headers: Any = ...,
    ) -> Callable[[_F], _F]: ...
    def alt_response(
        self,
        status_code: int | str,
        response: Any = ...,
        *,
        schema: Any = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Any = ...,
        headers: Any = ...,
        success: bool = ...,
        content_type: str | None = ...,
    ) -> Callable[[_F], _F]: ...
    def doc(self, **kwargs: Any) -> Callable[[_F], _F]: ...

class Api:
    ERROR_SCHEMA: Any
    DEFAULT_ERROR_RESPONSE_NAME: str | None
    spec: Any
    def __init__(
        self, app: Flask | None = ..., *, spec_kwargs: dict[str, Any] | None = ..., config_prefix: str = ...
    ) -> None: ...
    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = ...) -> None: ...
    def register_blueprint(self, blp: Blueprint, *, parameters: Any = ..., **options: Any) -> None: ...
    def _register_error_handlers(self) -> None: ...
