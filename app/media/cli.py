"""``flask media fsck``: rows without files, and files without rows."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.audit.log import record
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import MediaItem
from app.media.storage import derivative_key, original_key

media_cli = AppGroup("media", help="Media storage.")
DERIVATIVES = ("thumbnail.jpg", "display.jpg")


@media_cli.command("fsck")
@click.option(
    "--grace-minutes", default=60, show_default=True, help="Files younger than this may be an upload in progress."
)
@click.option("--repair", is_flag=True, help="Delete the orphan files (rows without files are only reported).")
def fsck_command(grace_minutes: int, repair: bool) -> None:
    """Report rows whose files are missing and stored files no row refers to."""
    storage = media_storage()
    expected: dict[str, int] = {}
    for item_id, sha256 in db.session.execute(select(MediaItem.id, MediaItem.sha256)):
        expected[original_key(sha256)] = item_id
        for name in DERIVATIVES:
            expected[derivative_key(sha256, name)] = item_id
    missing = sorted({item_id for key, item_id in expected.items() if not storage.exists(key)})
    cutoff = time.time() - grace_minutes * 60
    orphans = [key for key, mtime in storage.entries() if key not in expected and mtime < cutoff]
    for item_id in missing:
        click.echo(f"media item {item_id}: file missing")
    for key in orphans:
        click.echo(f"orphan file: {key}")
    if repair and orphans:
        for key in orphans:
            storage.delete(key)
        click.echo(f"{len(orphans)} orphan files removed.")
    record("media.fsck", rows_missing_files=len(missing), orphan_files=len(orphans), repaired=bool(repair and orphans))
    db.session.commit()
    click.echo(f"{len(expected)} files expected, {len(missing)} items with missing files, {len(orphans)} orphan files.")
    if missing or (orphans and not repair):
        sys.exit(1)
