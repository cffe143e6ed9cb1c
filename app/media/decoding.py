"""What reading a hostile or broken file may raise: the one list of exceptions that mean "this file
cannot be read", which ``photos`` and ``recordings`` turn into a refusal (422) around their calls
into Pillow, pillow-heif and PyAV, and nowhere else. Whatever else goes wrong (a TypeError, an
AttributeError, an error in face detection or storage) is a bug and stays a 500 with its traceback
in the log.

Each entry was seen escaping a decoder on a fuzzed or real-world upload (``tests/media/test_fuzz.py``).
"""

from __future__ import annotations

import struct

import av
from PIL import Image

DECODER_ERRORS: tuple[type[BaseException], ...] = (
    # Pillow's framing checks ("Truncated IHDR chunk", a text chunk past its limit), PyAV's InvalidDataError:
    ValueError,
    OSError,  # Pillow's "cannot identify image file", truncated data; libheif's decoder errors
    SyntaxError,  # Pillow's "not a PNG file", "broken PNG file": its historical choice for bad framing
    EOFError,  # pillow-heif's "Unexpected end of file"; Pillow reading past the end
    struct.error,  # a header field shorter than its format
    MemoryError,  # an allocation a hostile header asked for
    # libavif's and libheif's own errors, as Pillow's AVIF plugin and pillow-heif raise them
    # ("Decoding of color planes failed", "Security limit exceeded: Image size ... exceeds"):
    RuntimeError,
    Image.DecompressionBombError,
    av.FFmpegError,  # every error FFmpeg reports through PyAV (its MemoryError and EOFError included)
)
