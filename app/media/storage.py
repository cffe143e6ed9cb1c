"""Where media files live: a local folder (an object store can slot in behind the same methods:
put, open, exists, delete, entries, local_path).

Files are written to a temporary file in the destination folder, flushed with ``fsync``, moved
into place with ``os.replace`` (atomic), and the folder is ``fsync``-ed; only then does the
caller commit the database row. Keys are chosen by the application (content hashes), never
derived from user input.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

KEY_RE = re.compile(r"^[a-z]+/[0-9a-f]{2}/[0-9a-f]{64}(/[a-z0-9_]+\.[a-z0-9]+)?$")


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def derivative_key(sha256: str, name: str) -> str:
    return f"derivatives/{sha256[:2]}/{sha256}/{name}"


def scan_key(sha256: str) -> str:
    """A cleaned scan of a signed paper (the own consent of someone from outside the school)."""
    return f"scans/{sha256[:2]}/{sha256}"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"
        self.incoming.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not KEY_RE.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def temporary_file(self) -> tempfile._TemporaryFileWrapper[bytes]:
        """An anonymous file on the same file system, for streaming an upload into."""
        return tempfile.NamedTemporaryFile(dir=self.incoming, prefix="upload-", delete=False)

    def put(self, source: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path:
        """The file itself, so films can be served with Range requests (an object store would
        hand out a short-lived signed address instead)."""
        return self._path(key)

    def entries(self) -> Iterator[tuple[str, float]]:
        """Every stored key with its modification time (for the orphan check)."""
        for folder in ("originals", "derivatives", "scans"):
            base = self.root / folder
            if not base.exists():
                continue
            for path in base.rglob("*"):
                if path.is_file():
                    yield path.relative_to(self.root).as_posix(), path.stat().st_mtime
