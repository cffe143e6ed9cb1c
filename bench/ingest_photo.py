"""Benchmark: ingest of a 12-megapixel JPEG through the HTTP API (validate, hash, store,
thumbnail and display derivatives, face detection) against Debian's ``vipsthumbnail`` making the
1600 px version of the same file, measured in the same run. Prints medians and the ratio (goal:
at most 3x). The photo has a face (the astronaut) among its shapes, so detection finds one.

Needs ``vipsthumbnail`` (``apt-get install libvips-tools``); without it only the ingest is timed.
"""

from __future__ import annotations

import io
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPEATS = 7


def make_photo(path: Path) -> None:
    from PIL import Image, ImageDraw

    rng = random.Random(7)
    image = Image.new("RGB", (4000, 3000), (120, 140, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(400):  # texture, so the JPEG is as heavy as a real photo
        x, y = rng.randrange(4000), rng.randrange(3000)
        draw.ellipse(
            (x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)),
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    import skimage.data

    image.paste(Image.fromarray(skimage.data.astronaut()).resize((900, 900)), (1500, 1000))
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, format="JPEG", quality=92, exif=exif)


def main() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.api_tokens import issue_api_token
    from app.accounts.models import Role, User
    from app.extensions import db
    from app.media.models import MediaItem
    from app.school.models import Group, Location, SchoolYear

    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    photo = folder / "photo.jpg"
    make_photo(photo)
    data = photo.read_bytes()
    print(f"photo: 4000 x 3000 JPEG, {len(data) / 2**20:.1f} MiB")

    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(folder / "media"),
            "RATELIMIT_ENABLED": False,
        },
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        year = SchoolYear(name="2026-2027", starts_on=date(2026, 8, 1), ends_on=date(2027, 7, 31))
        group = Group(name="5b", location=Location(name="School"), school_year=year)
        user = User(email="comms@example.org")
        user.set_roles({Role.COMMUNICATIONS})
        db.session.add_all([group, user])
        db.session.commit()
        _token, secret = issue_api_token(user, "bench")
        db.session.commit()
        group_id = group.id
    client = app.test_client()
    from PIL import Image

    from app.media.faces import detect_faces

    detect_faces(Image.new("RGB", (64, 64)))  # load the model once, as a running server has
    headers = {"Authorization": f"Bearer {secret}"}

    ingest_times = []
    for n in range(REPEATS):
        with app.app_context():  # a fresh store each time: always the full path, never "already present"
            db.session.query(MediaItem).delete()
            db.session.commit()
        shutil.rmtree(folder / "media", ignore_errors=True)
        start = time.perf_counter()
        response = client.post(
            "/api/v1/media",
            headers=headers,
            content_type="multipart/form-data",
            data={"group_id": group_id, "album": f"run {n}", "file": (io.BytesIO(data), "p.jpg")},
        )
        ingest_times.append(time.perf_counter() - start)
        assert response.status_code == 201, response.get_data(as_text=True)
        assert len(response.get_json()["faces"]) >= 1, "the astronaut should be found"
    ingest = statistics.median(ingest_times)
    print(f"{'step':<44}{'median ms':>10}{'ratio':>8}")
    vips = shutil.which("vipsthumbnail")
    if vips is None:
        print(f"{'ingest through POST /api/v1/media':<44}{ingest * 1000:>10.0f}{'-':>8}")
        print("vipsthumbnail not found (apt-get install libvips-tools): no baseline.")
        return
    vips_times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run([vips, str(photo), "--size", "1600x1600", "-o", str(folder / "v_%s.jpg")], check=True)
        vips_times.append(time.perf_counter() - start)
    base = statistics.median(vips_times)
    print(f"{'baseline: vipsthumbnail --size 1600':<44}{base * 1000:>10.0f}{1:>8.1f}")
    print(f"{'ingest through POST /api/v1/media':<44}{ingest * 1000:>10.0f}{ingest / base:>8.1f}")


if __name__ == "__main__":
    main()
