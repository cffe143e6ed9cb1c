"""A labelled test set of "group photos" made only from images that scikit-image ships.

Each photo is a 1600 x 1200 background (one of scikit-image's sample pictures, including a cat,
so fur and eyes that are not a person's are in the set) with faces pasted on it: crops of the
Labeled Faces in the Wild subset (100 faces, 25 x 25, grey) enlarged to the sizes children's faces
have in a class photo, and the astronaut's head. The subset's 100 non-face crops are pasted too, as
distractors. The ground truth is the pasted face rectangles. Deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 1600, 1200
BACKGROUNDS = ("coffee", "chelsea", "rocket", "hubble_deep_field", "grass", "gravel", "brick", "retina")
# The astronaut's face in the 512 x 512 sample (x, y, w, h), and the crop around it that is pasted.
ASTRONAUT_FACE = (180, 60, 90, 118)
ASTRONAUT_CROP = (110, 0, 340, 300)


@dataclass(frozen=True)
class GroupPhoto:
    image: Image.Image
    faces: list[tuple[int, int, int, int]]  # x, y, w, h in pixels


def _background(name: str) -> Image.Image:
    import skimage.data

    pixels = getattr(skimage.data, name)()
    image = Image.fromarray(pixels).convert("RGB")
    scale = max(WIDTH / image.width, HEIGHT / image.height)
    image = image.resize((round(image.width * scale) + 1, round(image.height * scale) + 1), Image.Resampling.BICUBIC)
    return image.crop((0, 0, WIDTH, HEIGHT))


def _free(spot: tuple[int, int, int, int], taken: list[tuple[int, int, int, int]]) -> bool:
    x, y, w, h = spot
    margin = 12
    return all(
        x + w + margin < a or a + c + margin < x or y + h + margin < b or b + d + margin < y for a, b, c, d in taken
    )


def group_photos(count: int = 24, seed: int = 2026) -> Iterator[GroupPhoto]:
    import skimage.data

    rng = np.random.default_rng(seed)
    lfw = (skimage.data.lfw_subset() * 255).astype(np.uint8)
    faces, non_faces = lfw[:100], lfw[100:]
    astronaut = Image.fromarray(skimage.data.astronaut()).crop(ASTRONAUT_CROP)
    next_face = 0
    for n in range(count):
        image = _background(BACKGROUNDS[n % len(BACKGROUNDS)])
        truth: list[tuple[int, int, int, int]] = []
        taken: list[tuple[int, int, int, int]] = []
        if n % 4 == 0:  # the astronaut, at a size between a portrait and a group photo
            scale = rng.uniform(0.8, 1.6)
            head = astronaut.resize((round(astronaut.width * scale), round(astronaut.height * scale)))
            x = int(rng.integers(0, WIDTH - head.width))
            y = int(rng.integers(0, HEIGHT - head.height))
            image.paste(head, (x, y))
            fx, fy, fw, fh = ASTRONAUT_FACE
            cx, cy = ASTRONAUT_CROP[:2]
            truth.append(
                (x + round((fx - cx) * scale), y + round((fy - cy) * scale), round(fw * scale), round(fh * scale))
            )
            taken.append((x, y, head.width, head.height))
        for kind, pool, wanted in (("face", faces, int(rng.integers(4, 9))), ("other", non_faces, 2)):
            placed = 0
            while placed < wanted:
                size = int(rng.integers(56, 200))
                spot = (int(rng.integers(0, WIDTH - size)), int(rng.integers(0, HEIGHT - size)), size, size)
                if not _free(spot, taken):
                    continue
                if kind == "face":
                    crop = pool[next_face % len(pool)]
                    next_face += 1
                else:
                    crop = pool[int(rng.integers(0, len(pool)))]
                tile = Image.fromarray(crop).convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
                image.paste(tile, spot[:2])
                taken.append(spot)
                if kind == "face":
                    truth.append(spot)
                placed += 1
        yield GroupPhoto(image, truth)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / (aw * ah + bw * bh - inter) if inter else 0.0


def score(found: list[tuple[float, float, float, float]], truth: list[tuple[int, int, int, int]]) -> tuple[int, int]:
    """(faces found, false faces): a detection counts for a face when they overlap by IoU >= 0.3,
    each face and each detection used at most once."""
    unmatched = list(truth)
    false = 0
    for box in found:
        best = max(unmatched, key=lambda t: iou(box, t), default=None)
        if best is not None and iou(box, best) >= 0.3:
            unmatched.remove(best)
        else:
            false += 1
    return len(truth) - len(unmatched), false
