"""A backup's manifest: what is in it (every file with its SHA-256), the snapshot's row counts,
alembic revision and audit anchor. It is sealed with the audit chain's key
(``app.audit.log.seal``), so a manifest rewritten to match changed files is found too."""

from __future__ import annotations

import hmac
import json
import re
from pathlib import Path
from typing import Any

from app.audit.log import seal
from app.backup.errors import REFUSED, BackupError
from app.backup.files import regular_files, sha256_of, write_private

NAME = "manifest.json"
FORMAT = 1
# What a backup may hold: the database file, media under their storage keys, the consent form
# files, and the anchor file.
ALLOWED = re.compile(
    r"^(database\.dump|database\.sqlite3|audit-anchors\.jsonl"
    r"|consent_forms/[A-Za-z0-9][A-Za-z0-9._-]{0,200}"
    r"|media/[a-z]+/[0-9a-f]{2}/[0-9a-f]{64}(/[a-z0-9_]+\.[a-z0-9]+)?)$"
)


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def write_manifest(directory: Path, body: dict[str, Any]) -> None:
    sealed = body | {"seal": seal(_canonical(body))}
    write_private(directory / NAME, json.dumps(sealed, indent=2, sort_keys=True).encode() + b"\n")


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, its seal and format checked."""
    path = directory / NAME
    if not path.is_file():
        raise BackupError(f"{directory} holds no {NAME}: it is not a Beeldrecht backup", REFUSED)
    try:
        body = json.loads(path.read_bytes())
    except ValueError:
        raise BackupError(f"{NAME} is not valid JSON: the manifest was changed or damaged") from None
    if not isinstance(body, dict) or not isinstance(body.get("seal"), str):
        raise BackupError(f"{NAME} has no seal: the manifest was changed or damaged")
    sealed = body.pop("seal")
    if not hmac.compare_digest(sealed, seal(_canonical(body))):
        raise BackupError(
            f"{NAME} was changed: its seal does not match (or this installation's BEELDRECHT_AUDIT_HMAC_KEY, "
            "or SECRET_KEY when no audit key is set, is not the one the backup was made with)"
        )
    if body.get("format") != FORMAT:
        raise BackupError(f"{NAME} has format {body.get('format')!r}; this version reads format {FORMAT}", REFUSED)
    return body


def check_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its checksum, and nothing else is."""
    listed: dict[str, Any] = manifest.get("files") or {}
    for name in listed:
        if not ALLOWED.match(name):
            raise BackupError(f"{NAME} lists {name!r}, which no backup holds")
    present = set(regular_files(directory)) - {NAME}
    unlisted = sorted(present - set(listed))
    if unlisted:
        raise BackupError(f"{unlisted[0]} is in the backup but not in its manifest ({len(unlisted)} such files)")
    for name, entry in sorted(listed.items()):
        path = directory / name
        if name not in present or path.is_symlink() or not path.is_file():
            raise BackupError(f"{name} is missing from the backup")
        if sha256_of(path) != entry.get("sha256"):
            raise BackupError(f"{name} does not match its checksum in the manifest: the file was changed or damaged")
