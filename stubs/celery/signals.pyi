from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

class Signal:
    def connect(self, receiver: F, **kwargs: Any) -> F: ...

worker_process_init: Signal
worker_ready: Signal
