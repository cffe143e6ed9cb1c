from typing import Any

import numpy as np
from numpy.typing import NDArray

class CenterFace:
    def __init__(
        self, in_shape: tuple[int, int] | None = ..., backend: str = ..., override_execution_provider: str | None = ...
    ) -> None: ...
    def __call__(self, img: NDArray[np.uint8], threshold: float = ...) -> tuple[NDArray[Any], NDArray[Any]]: ...
