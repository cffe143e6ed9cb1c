"""``flask media fsck``: rows without files, files without rows, files anyone may read;
``flask media clear-incoming``: what killed uploads left behind; ``flask media rescan-films``: films
searched for faces on sampled frames only, scanned again."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from app.audit.log import record
from app.extensions import db
from app.jobs.queue import enqueue
from app.media.ingest import PROCESS_JOBS, clear_abandoned_uploads, media_storage
from app.media.inventory import item_files, paper_scans
from app.media.models import MediaItem, ProcessingState
from app.media.operations import delete_media, expired_media, lock_items, remove_files
from app.media.storage import LocalStorage

media_cli = AppGroup("media", help="Media storage.")


@media_cli.command("fsck")
@click.option(
    "--grace-minutes", default=60, show_default=True, help="Files younger than this may be an upload in progress."
)
@click.option(
    "--repair",
    is_flag=True,
    help="Delete the orphan files and make every file readable by the application only (rows without files are "
    "only reported).",
)
def fsck_command(grace_minutes: int, repair: bool) -> None:
    """Report rows whose files are missing, stored files no row refers to, and files others may read."""
    storage = media_storage()
    expected = item_files()
    missing = sorted({item_id for key, item_id in expected.items() if not storage.exists(key)})
    known = set(expected) | paper_scans()
    orphans, unfinished = _leftovers(storage, known, time.time() - grace_minutes * 60)
    loose = sorted(storage.wrong_modes())
    _report(missing, orphans, unfinished)
    for key, mode in loose:
        click.echo(f"readable by others ({mode:o}): {key}")
    repaired = bool(repair and (orphans or unfinished or loose))
    if repaired:
        _remove_leftovers(storage, orphans, unfinished)
        for key, _mode in loose:
            if key not in orphans:
                storage.restrict(key)
        click.echo(f"{len(loose)} files made readable by the application only.")
    record(
        "media.fsck",
        rows_missing_files=len(missing),
        orphan_files=len(orphans),
        unfinished_uploads=len(unfinished),
        loose_modes=len(loose),
        repaired=repaired,
    )
    db.session.commit()
    click.echo(f"{len(expected)} files expected, {len(missing)} items with missing files, {len(orphans)} orphan files.")
    if missing or ((orphans or unfinished or loose) and not repair):
        sys.exit(1)


@media_cli.command("clear-incoming")
@click.option(
    "--grace-minutes",
    type=click.IntRange(0),
    default=None,
    help="Leave what is younger than this (default: BEELDRECHT_INCOMING_GRACE_MINUTES, 60).",
)
def clear_incoming_command(grace_minutes: int | None) -> None:
    """Remove what uploads of killed workers left in incoming/ (the job queue runs this periodically)."""
    removed = clear_abandoned_uploads(grace_minutes)
    for name in removed:
        click.echo(f"removed: incoming/{name}")
    click.echo(f"{len(removed)} abandoned uploads removed.")


def _leftovers(storage: LocalStorage, expected: set[str], cutoff: float) -> tuple[list[str], list[Path]]:
    """Stored files no row refers to, and what uploads left in ``incoming`` (temporary files and
    probe folders of a killed process); both only when older than ``cutoff``, so an upload in
    progress is left alone."""
    orphans = [key for key, mtime in storage.entries() if key not in expected and mtime < cutoff]
    unfinished = [path for path in storage.incoming.iterdir() if path.stat().st_mtime < cutoff]
    return orphans, unfinished


def _report(missing: list[int], orphans: list[str], unfinished: list[Path]) -> None:
    for item_id in missing:
        click.echo(f"media item {item_id}: file missing")
    for key in orphans:
        click.echo(f"orphan file: {key}")
    for path in unfinished:
        click.echo(f"unfinished upload: incoming/{path.name}")


def _remove_leftovers(storage: LocalStorage, orphans: list[str], unfinished: list[Path]) -> None:
    """Delete the orphan files and the unfinished uploads (rows without files are only reported:
    the row is the record, and removing it is a decision for a person)."""
    for key in orphans:
        storage.delete(key)
    for path in unfinished:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    click.echo(f"{len(orphans)} orphan files and {len(unfinished)} unfinished uploads removed.")


@media_cli.command("expire")
@click.option("--apply", "apply_", is_flag=True, help="Delete them (default: only list).")
def expire_command(apply_: bool) -> None:
    """List (and with --apply delete) media older than MEDIA_RETENTION_YEARS."""
    from flask import current_app

    from app.timestamps import school_today

    years = int(current_app.config["MEDIA_RETENTION_YEARS"])
    items = expired_media(school_today(), years)
    for item in items:
        click.echo(f"media item {item.id}: uploaded {item.uploaded_at:%Y-%m-%d}, group {item.group_id}")
    if not apply_:
        click.echo(f"{len(items)} items are older than {years} years; run with --apply to delete them.")
        return
    lock_items(item.id for item in items)  # all of them by id first, before the first is audited
    keys = [key for item in items for key in delete_media(item, by=None, reason="retention")]
    db.session.commit()
    remove_files(keys)
    click.echo(f"{len(items)} items older than {years} years deleted.")


@media_cli.command("rescan-films")
@click.option("--apply", "apply_", is_flag=True, help="Queue their scans (default: only list).")
def rescan_films_command(apply_: bool) -> None:
    """List (and with --apply scan again) the films searched for faces on sampled frames only.

    Each is blocked (``rescan_needed``) until its job has scanned it throughout; what staff resolved
    on the old frames is carried over to the new tracks (``app.media.rescans``). A film whose tags
    or faces wait for the leadership's approval is left until that is decided."""
    from sqlalchemy import select

    from app.consent.vocabulary import MediaType
    from app.release.models import Approval, ApprovalStatus

    ids = db.session.scalars(
        select(MediaItem.id)
        .where(MediaItem.sampled_only, MediaItem.processing_state == ProcessingState.READY)
        .order_by(MediaItem.id)
    ).all()
    if not apply_:
        for item_id in ids:
            click.echo(f"film {item_id}: searched for faces on sampled frames only")
        click.echo(f"{len(ids)} films to scan again; run with --apply to queue their scans.")
        return
    lock_items(ids)
    waiting = set(
        db.session.scalars(
            select(Approval.media_id).where(Approval.media_id.in_(ids), Approval.status == ApprovalStatus.OPEN)
        )
    )
    queued = 0
    for item_id in ids:
        if item_id in waiting:
            click.echo(f"film {item_id}: a change waits for approval; scan it again once that is decided")
            continue
        item = db.session.get_one(MediaItem, item_id)
        item.processing_state = ProcessingState.PROCESSING
        enqueue(PROCESS_JOBS[MediaType.FILM], item.id)
        record("media.rescan_queued", target=item)
        queued += 1
    db.session.commit()
    click.echo(f"{queued} films queued to be scanned again; {len(waiting)} wait for approval.")
