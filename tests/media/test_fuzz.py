"""The upload under fuzzing: mutants of valid JPEG, PNG, WebP, HEIC, AVIF, MP4 and M4A files (bit
flips, truncation, duplicated chunks, length fields set to extremes; see ``tests/media/fuzzing.py``)
posted to ``POST /api/v1/media``. Every answer is 201, 200 or a 4xx, never a 5xx; a refusal stores
nothing, a new item has all its files, and no temporary file stays behind.

The normal run tries a fixed set of examples per format (``derandomize``: the same every run, so CI
does not turn red by chance); ``make fuzz`` runs the ``slow`` test with fresh random examples, many
more of them, and prints how many ran (``--hypothesis-show-statistics``).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.consent.vocabulary import MediaType
from app.extensions import db
from app.media.ingest import media_storage
from app.media.models import MediaItem
from app.media.storage import derivative_key, original_key
from tests.media.fuzzing import Mutation, fix_png_crcs, mutations, seeds

KINDS = ["jpeg", "png", "webp", "heic", "avif", "mp4", "m4a"]
COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}
STEPS = st.lists(mutations, min_size=1, max_size=4)
# Inputs that once broke the upload, tried first in every run.
SEEN = [
    # An M4A whose only packet has no timestamp: no playback copy was written (a 500 before).
    [Mutation("flip", 902869, 142), Mutation("length", 870939, 183), Mutation("length", 797843, 118)],
]


@pytest.fixture
def post(app, client, runner, world, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    token = runner.invoke(args=["users", "token", "teacher@example.org"]).output.strip().splitlines()[-1]

    def send(data: bytes):
        return client.post(
            "/api/v1/media",
            headers={"Authorization": f"Bearer {token}"},
            data={"file": (io.BytesIO(data), "upload.bin"), "group_id": world["5b"], "album": "Fuzz"},
            content_type="multipart/form-data",
        )

    yield send
    app.config["MEDIA_ROOT"] = None


def mutant(kind: str, steps: list[Mutation], fix_crc: bool) -> bytes:
    data = bytearray(seeds()[kind])
    for step in steps:
        data = step.apply(kind, data)
    if kind == "png" and fix_crc:
        data = fix_png_crcs(data)
    return bytes(data)


def check_one_upload(app, post, data: bytes) -> None:
    with app.app_context():
        rows_before = db.session.scalar(select(func.count(MediaItem.id)))
        files_before = len(list(media_storage().entries()))
    response = post(data)
    status = response.status_code
    assert status in (200, 201) or 400 <= status < 500, (status, response.get_data(as_text=True)[:300])
    with app.app_context():
        storage = media_storage()
        assert list(storage.incoming.iterdir()) == []  # no temporary file or probe folder left
        rows = db.session.scalar(select(func.count(MediaItem.id)))
        if status >= 400:
            assert response.get_json()["error"]["code"]
            assert rows == rows_before and len(list(storage.entries())) == files_before
        elif status == 201:
            item = db.session.get(MediaItem, response.get_json()["id"])
            assert rows == rows_before + 1 and storage.exists(original_key(item.sha256))
            names = [] if item.media_type is MediaType.AUDIO else ["thumbnail.jpg", "display.jpg"]
            names += [item.playback_name] if item.media_type is not MediaType.PHOTO else []
            assert all(storage.exists(derivative_key(item.sha256, name)) for name in names), names


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=80, derandomize=True, **COMMON)
@given(steps=STEPS, fix_crc=st.booleans())
@example(steps=SEEN[0], fix_crc=False)
def test_no_mutant_crashes_the_upload_or_leaves_a_file(app, post, kind, steps, fix_crc):
    check_one_upload(app, post, mutant(kind, steps, fix_crc))


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=2000, **COMMON)
@given(steps=STEPS, fix_crc=st.booleans())
def test_no_mutant_crashes_the_upload_long_run(app, post, kind, steps, fix_crc):
    check_one_upload(app, post, mutant(kind, steps, fix_crc))
