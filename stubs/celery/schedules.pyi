from typing import Any

class crontab:  # noqa: N801 (the library's own name)
    def __init__(self, minute: str | int = ..., hour: str | int = ..., **kwargs: Any) -> None: ...
