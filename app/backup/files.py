"""Private files for a backup: directories 0700, files 0600, every file's SHA-256 taken while it
is written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

CHUNK = 1024 * 1024


def make_private_dir(path: Path) -> None:
    """Make ``path`` and its missing parents 0700; folders that exist are left as they are."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # whatever the umask


def create_private_file(path: Path) -> None:
    """An empty file only the owner reads (for tools that write into a file they are given)."""
    make_private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def write_private(path: Path, data: bytes) -> str:
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return hashlib.sha256(data).hexdigest()


def copy_private(source: Path, target: Path) -> str:
    """Copy ``source`` to the new file ``target`` (0600, parents 0700); returns the SHA-256 of
    the bytes written."""
    make_private_dir(target.parent)
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(source, "rb") as reader, os.fdopen(fd, "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: Path, digest: str | None = None) -> dict[str, Any]:
    """A manifest's entry for a file: its SHA-256 (computed unless given) and size."""
    return {"sha256": digest or sha256_of(path), "bytes": path.stat().st_size}


def regular_files(root: Path) -> list[str]:
    """Every file under ``root`` as a relative POSIX path; anything else there (a link, a
    device) is returned too, so a check can refuse it."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_dir():
            found.append(path.relative_to(root).as_posix())
    return found
