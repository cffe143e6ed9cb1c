"""``flask backup restore DIR``: an empty installation rebuilt from a backup.

Everything is checked before anything is changed: the manifest's seal and every file's checksum,
the kind of database, that this code knows the backup's schema revision, that the target database
has no tables and the media root no files, and that no consent form file there differs from the
backup's. Then the database, the media and the form files are put back, and the result is checked
against the manifest: the row counts, the newest audit row, and the audit chain itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import current_app

from app.audit.anchor import Anchor, AnchorFileEdited, parse_anchors
from app.audit.log import record, verify_chain
from app.backup.create import ANCHOR_COPY
from app.backup.database import existing_tables, kind_of, restore_database, restored_facts
from app.backup.errors import REFUSED, BackupError
from app.backup.files import copy_private, sha256_of
from app.backup.manifest import check_files, read_manifest
from app.consent.form_files import default_directory
from app.extensions import db
from app.media.ingest import media_storage
from app.media.storage import KEY_RE

KIND_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class Restored:
    anchor: Anchor
    counts: dict[str, int]
    media_files: int
    forms_copied: int
    anchor_file: str


def restore_backup(directory: Path) -> Restored:
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory", REFUSED)
    manifest = read_manifest(directory)
    check_files(directory, manifest)
    url = str(current_app.config["SQLALCHEMY_DATABASE_URI"])
    _check_target(directory, manifest, url)
    forms = _forms_to_copy(directory, manifest)
    restore_database(url, directory, manifest["database"])
    try:
        media = _copy_media(directory, manifest)
        for name in forms:
            copy_private(directory / name, default_directory() / Path(name).name)
        anchor_file = _restore_anchor_file(directory, manifest)
    except OSError as error:
        raise BackupError(
            f"the restore stopped after the database was restored ({error}): empty the database and the media "
            "root before trying again"
        ) from error
    facts = restored_facts()
    _compare(manifest, facts.counts, facts.anchor)
    chain = verify_chain()
    if not chain.intact:
        raise BackupError(
            f"the restored audit chain breaks at row {chain.first_bad_id} ({chain.reason}): is "
            "BEELDRECHT_AUDIT_HMAC_KEY the original installation's?"
        )
    record("backup.restored", rows=facts.anchor.rows, audit_id=facts.anchor.id, files=len(manifest["files"]))
    db.session.commit()
    return Restored(facts.anchor, facts.counts, media, len(forms), anchor_file)


def _check_target(directory: Path, manifest: dict[str, Any], url: str) -> None:
    kind, backed_up = kind_of(url), manifest["database"]["kind"]
    if kind != backed_up:
        raise BackupError(
            f"this is a backup of a {KIND_NAMES.get(backed_up, backed_up)} database and the target is "
            f"{KIND_NAMES[kind]}: restore into a database of the same kind",
            REFUSED,
        )
    revision = manifest.get("alembic_revision")
    if revision and revision not in _known_revisions():
        raise BackupError(
            f"the backup's schema revision {revision} is unknown to this version of Beeldrecht: restore with the "
            f"version that made it ({manifest.get('app_version')}) or a newer one",
            REFUSED,
        )
    tables = existing_tables(url)
    if tables:
        raise BackupError(
            f"the target database is not empty ({len(tables)} tables, e.g. {', '.join(tables[:3])}): "
            "restore into a new, empty database (no flask db upgrade before the restore)",
            REFUSED,
        )
    storage = media_storage()
    stored = next(iter(storage.entries()), None)
    if stored is not None:
        raise BackupError(
            f"the media root {storage.root} is not empty (it holds {stored[0]}, among others): restore into an "
            "empty media root",
            REFUSED,
        )
    anchors = directory / ANCHOR_COPY
    if anchors.is_file():
        try:
            parse_anchors(anchors.read_bytes())
        except AnchorFileEdited as edited:
            raise BackupError(f"{ANCHOR_COPY} in the backup: {edited}") from None


def _known_revisions() -> set[str]:
    config = current_app.extensions["migrate"].migrate.get_config()
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _forms_to_copy(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """The backup's form files missing from the forms folder; one that is there with other
    content is refused (a published form never changes)."""
    folder = default_directory()
    missing = []
    for name in sorted(manifest["files"]):
        if not name.startswith("consent_forms/"):
            continue
        there = folder / Path(name).name
        if not there.exists():
            missing.append(name)
        elif sha256_of(there) != manifest["files"][name]["sha256"]:
            raise BackupError(
                f"{there} differs from the backup's {name}: a published form never changes; move it aside first",
                REFUSED,
            )
    return missing


def _copy_media(directory: Path, manifest: dict[str, Any]) -> int:
    storage = media_storage()
    count = 0
    for name in sorted(manifest["files"]):
        if not name.startswith("media/"):
            continue
        key = name.removeprefix("media/")
        if not KEY_RE.match(key):
            raise BackupError(f"{name} is not a storage key")
        copy_private(directory / name, storage.local_path(key))
        count += 1
    return count


def _restore_anchor_file(directory: Path, manifest: dict[str, Any]) -> str:
    """The backup's anchor file goes to ``AUDIT_ANCHOR_FILE`` when that is set and no file is
    there yet; an existing one is the record of the installation that was lost and is left alone."""
    if ANCHOR_COPY not in manifest["files"]:
        return "the backup holds no anchor file"
    setting = current_app.config.get("AUDIT_ANCHOR_FILE")
    if not setting:
        return f"the backup's anchor file is {directory / ANCHOR_COPY} (BEELDRECHT_AUDIT_ANCHOR_FILE is not set)"
    if Path(setting).exists():
        return f"{setting} exists and was left as it is; the backup's anchor file is {directory / ANCHOR_COPY}"
    copy_private(directory / ANCHOR_COPY, Path(setting))
    return f"anchor file restored to {setting}"


def _compare(manifest: dict[str, Any], counts: dict[str, int], anchor: Anchor) -> None:
    expected: dict[str, int] = manifest["counts"]
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            raise BackupError(
                f"the restored database differs from the manifest: table {table} has {counts.get(table)} rows, "
                f"the manifest says {expected.get(table)}"
            )
    if anchor.as_dict() != manifest["audit_anchor"]:
        raise BackupError(
            f"the restored audit log ends at row {anchor.id}, the manifest's anchor is row "
            f"{manifest['audit_anchor'].get('id')}"
        )
