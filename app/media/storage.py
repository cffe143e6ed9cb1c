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
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600  # every stored file: only the application's own user reads it
KEY_RE = re.compile(r"^[a-z]+/[0-9a-f]{2}/[0-9a-f]{64}(/[a-z0-9_]+\.[a-z0-9]+)?$")


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def derivative_key(sha256: str, name: str) -> str:
    return f"derivatives/{sha256[:2]}/{sha256}/{name}"


def channel_copy_key(sha256: str, name: str) -> str:
    """A film or sound made anew for a channel's size and bitrate (``app.media.channel_copies``):
    a cache outside ``originals`` and ``derivatives``, so backups and the orphan check skip it."""
    return f"channels/{sha256[:2]}/{sha256}/{name}"


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
        """Move ``source`` into place as ``key``, readable by the application's user only
        (``FILE_MODE``), whatever made it (a temporary file is 0600 already, Pillow's and FFmpeg's
        outputs follow the umask)."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
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

    def names_in(self, key: str) -> list[str]:
        """The files stored directly under the folder ``key`` (e.g. ``channels/ab/<sha256>``)."""
        folder = self._path(key)
        return sorted(path.name for path in folder.iterdir() if path.is_file()) if folder.is_dir() else []

    def local_path(self, key: str) -> Path:
        """The file itself, so films can be served with Range requests (an object store would
        hand out a short-lived signed address instead)."""
        return self._path(key)

    def wrong_modes(self) -> Iterator[tuple[str, int]]:
        """Stored files anyone but the application's user may read or write (written before
        ``put`` set ``FILE_MODE``), with their permission bits."""
        for key, _mtime in self.entries():
            mode = stat.S_IMODE(self._path(key).stat().st_mode)
            if mode != FILE_MODE:
                yield key, mode

    def restrict(self, key: str) -> None:
        os.chmod(self._path(key), FILE_MODE)

    def clear_incoming(self, older_than_seconds: float) -> list[str]:
        """Remove what uploads left in ``incoming/`` longer ago than ``older_than_seconds`` (the
        temporary file or probe folder of a worker that was killed mid-upload); an upload still
        streaming is younger and stays. The names removed."""
        cutoff = time.time() - older_than_seconds
        removed = []
        for path in sorted(self.incoming.iterdir()):
            try:
                if path.lstat().st_mtime >= cutoff:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except FileNotFoundError:
                continue  # its own upload finished meanwhile and took it away
            removed.append(path.name)
        return removed

    def entries(self) -> Iterator[tuple[str, float]]:
        """Every stored key with its modification time (for the orphan check)."""
        for folder in ("originals", "derivatives", "scans"):
            base = self.root / folder
            if not base.exists():
                continue
            for path in base.rglob("*"):
                if path.is_file():
                    yield path.relative_to(self.root).as_posix(), path.stat().st_mtime
