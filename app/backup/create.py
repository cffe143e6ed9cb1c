"""``flask backup create DIR``: a consistent snapshot of an installation.

Written into ``DIR.partial`` and renamed to ``DIR`` only when complete, so a directory named like a
backup is a whole backup. In order: the anchor file is read (before the snapshot, so every line
names a row the snapshot holds), the database is copied (with its counts, anchor, revision and the
storage keys its rows name), the media tree and the consent form files are copied (after the
snapshot: every key it names must be there; newer files are harmless), then the manifest.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import current_app

from app.audit.anchor import AnchorFileEdited, parse_anchors
from app.audit.log import record
from app.backup.database import SnapshotFacts, dump_database
from app.backup.errors import REFUSED, BackupError
from app.backup.files import copy_private, file_entry, make_private_dir, regular_files, write_private
from app.backup.manifest import FORMAT, write_manifest
from app.consent.form_files import default_directory
from app.extensions import db
from app.media.ingest import media_storage
from app.timestamps import utcnow

ANCHOR_COPY = "audit-anchors.jsonl"


@dataclass(frozen=True)
class BackupMade:
    directory: Path
    facts: SnapshotFacts
    files: int
    size: int


def app_version() -> str:
    try:
        return version("beeldrecht")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        return "unknown"


def _anchor_file() -> bytes | None:
    setting = current_app.config.get("AUDIT_ANCHOR_FILE")
    if not setting or not Path(setting).is_file():
        return None
    try:
        content = Path(setting).read_bytes()
    except OSError as error:
        reason = error.strerror or error
        raise BackupError(f"{setting} cannot be read ({reason}); no backup was made", REFUSED) from None
    try:
        parse_anchors(content)
    except AnchorFileEdited as edited:
        raise BackupError(f"{setting}: {edited}; no backup was made (run flask audit verify --anchor)") from None
    return content


def create_backup(directory: Path) -> BackupMade:
    directory = directory.absolute()
    if directory.exists() or directory.is_symlink():
        raise BackupError(f"{directory} exists: a backup is written into a new directory", REFUSED)
    partial = directory.with_name(directory.name + ".partial")
    if partial.exists() or partial.is_symlink():
        raise BackupError(f"{partial} exists: an earlier backup was interrupted; remove it and try again", REFUSED)
    url = str(current_app.config["SQLALCHEMY_DATABASE_URI"])
    anchors = _anchor_file()
    make_private_dir(directory.parent)
    make_private_dir(partial)
    try:
        made = _fill(partial, url, anchors)
        partial.rename(directory)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise BackupError(f"writing the backup failed ({error}); nothing was kept") from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    record("backup.created", rows=made.facts.anchor.rows, audit_id=made.facts.anchor.id, files=made.files)
    db.session.commit()
    return BackupMade(directory, made.facts, made.files, made.size)


def _fill(partial: Path, url: str, anchors: bytes | None) -> BackupMade:
    facts, database = dump_database(url, partial)
    files: dict[str, Any] = {database["file"]: file_entry(partial / database["file"])}
    files |= _copy_media(partial, facts)
    files |= _copy_forms(partial)
    if anchors is not None:
        files[ANCHOR_COPY] = file_entry(partial / ANCHOR_COPY, write_private(partial / ANCHOR_COPY, anchors))
    stray = sorted(set(regular_files(partial)) - set(files))
    if stray:
        raise BackupError(f"unexpected files in the backup: {', '.join(stray[:3])}")
    write_manifest(
        partial,
        {
            "format": FORMAT,
            "app_version": app_version(),
            "alembic_revision": facts.revision,
            "created_at": utcnow().isoformat(),
            "database": database,
            "counts": facts.counts,
            "audit_anchor": facts.anchor.as_dict(),
            "files": files,
        },
    )
    return BackupMade(partial, facts, len(files), sum(int(entry["bytes"]) for entry in files.values()))


def _copy_media(partial: Path, facts: SnapshotFacts) -> dict[str, Any]:
    storage = media_storage()
    copied: dict[str, Any] = {}
    for key, _mtime in storage.entries():
        name = f"media/{key}"
        try:
            digest = copy_private(storage.local_path(key), partial / name)
        except FileNotFoundError:  # deleted since it was listed; checked below if the snapshot needs it
            continue
        copied[name] = file_entry(partial / name, digest)
    missing = sorted(key for key in facts.keys if f"media/{key}" not in copied)
    if missing:
        raise BackupError(
            f"{len(missing)} files the database refers to are not in the media root {storage.root} "
            f"(the first: {missing[0]}); run flask media fsck"
        )
    return copied


def _copy_forms(partial: Path) -> dict[str, Any]:
    folder = default_directory()
    copied: dict[str, Any] = {}
    if not folder.is_dir():
        return copied
    for path in sorted(folder.glob("*.toml")):
        if path.is_file() and not path.is_symlink():
            name = f"consent_forms/{path.name}"
            copied[name] = file_entry(partial / name, copy_private(path, partial / name))
    return copied
