"""Coverage-guided fuzzing of ``app.media.ingest`` with atheris (libFuzzer for Python).

    .venv/bin/python scripts/fuzz_ingest.py [libFuzzer options, e.g. -max_total_time=300 -jobs=1]

Starts from the seed files of every accepted kind (``tests/media/fuzzing.py``, written to a corpus
folder in the instance folder of a throw-away app) and lets libFuzzer mutate them, guided by the
lines of ``app.media`` and Pillow's Python plugins they reach. Every input goes through
``ingest_upload`` as an upload does: a refusal (``MediaRejected``) is the right answer; any other
exception, or a temporary file left behind, stops the run as a crash, with the input saved by
libFuzzer (``crash-<sha1>``) to reproduce it: ``scripts/fuzz_ingest.py crash-<sha1>``.

Needs the ``fuzz`` extra (``pip install -e '.[dev,fuzz]'``; ``make fuzz`` does this).
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import date
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["app.media", "PIL"]):
    from app import create_app
    from app.extensions import db
    from app.media.ingest import MediaRejected, ingest_upload, media_storage
    from app.media.models import Album

from tests.factories import GroupFactory  # noqa: E402 - after the instrumented imports
from tests.media.fuzzing import seeds  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="beeldrecht-fuzz-"))
APP = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{WORK / 'fuzz.sqlite3'}", "SERVER_NAME": None})
APP.instance_path = str(WORK)
APP.config["MEDIA_ROOT"] = str(WORK / "media")


def _album_id() -> int:
    from flask_migrate import upgrade

    with APP.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        album = Album(group_id=GroupFactory().id, title="Fuzz", taken_on=date(2026, 12, 1))
        db.session.add(album)
        db.session.commit()
        return album.id


ALBUM_ID = _album_id()


def test_one_input(data: bytes) -> None:
    with APP.app_context():
        try:
            ingest_upload(io.BytesIO(data), album=db.session.get(Album, ALBUM_ID), uploaded_by=None)
            db.session.commit()
        except MediaRejected:
            db.session.rollback()
        left = list(media_storage().incoming.iterdir())
        if left:
            raise AssertionError(f"left behind after the upload: {left}")


def main() -> None:
    corpus = WORK / "corpus"
    corpus.mkdir()
    for kind, data in seeds().items():
        (corpus / kind).write_bytes(data)
    arguments = [sys.argv[0], *sys.argv[1:]]
    if not any(not a.startswith("-") for a in sys.argv[1:]):
        arguments.append(str(corpus))  # no input or corpus named: start from the seeds
    print(f"fuzzing app.media.ingest; work folder {WORK}", flush=True)
    atheris.Setup(arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
