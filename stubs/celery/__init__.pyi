from collections.abc import Callable
from typing import Any

from celery import signals as signals

class Task:
    name: str
    def run(self, *args: Any, **kwargs: Any) -> Any: ...
    def apply_async(
        self, args: tuple[Any, ...] | None = ..., kwargs: dict[str, Any] | None = ..., **options: Any
    ) -> Any: ...
    def apply(self, args: tuple[Any, ...] | None = ..., kwargs: dict[str, Any] | None = ..., **options: Any) -> Any: ...

class _Settings:
    beat_schedule: dict[str, Any]
    def update(self, settings: dict[str, Any], **kwargs: Any) -> None: ...

class _Control:
    def ping(self, destination: list[str] | None = ..., timeout: float = ..., **kwargs: Any) -> list[Any]: ...

class Celery:
    conf: _Settings
    control: _Control
    tasks: dict[str, Task]
    def __init__(
        self,
        main: str | None = ...,
        *,
        task_cls: type[Task] | str | None = ...,
        set_as_current: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def task(self, *args: Any, **options: Any) -> Callable[[Callable[..., Any]], Task]: ...
