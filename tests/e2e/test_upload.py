"""A teacher uploads photos from a phone-sized window and sees each file's progress and result."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.e2e.conftest import keep_picture
from tests.e2e.test_first_visit import sign_in

pytestmark = pytest.mark.browser


def test_teacher_uploads_photos_with_progress(phone, live_app, tmp_path):
    live_app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    files = []
    for n, colour in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)]):
        path = tmp_path / f"IMG_{n}.jpg"
        Image.new("RGB", (1200, 900), colour).save(path, format="JPEG")
        files.append(str(path))
    broken = tmp_path / "note.jpg"
    broken.write_bytes(b"<html>not a photo</html>")
    files.append(str(broken))
    sign_in(phone, "teacher@example.org")
    phone.goto("/media/upload")
    phone.fill("input[name=album_title]", "Herfstwandeling")
    phone.fill("input[name=album_date]", "2026-10-14")
    phone.set_input_files("input[name=files]", files)
    phone.click("main button[type=submit]")
    phone.locator("#upload-list li[data-status]").nth(3).wait_for()
    statuses = phone.eval_on_selector_all("#upload-list li", "items => items.map(i => i.dataset.status)")
    assert statuses == ["added", "added", "added", "refused"]
    assert phone.locator("#overall-bar").get_attribute("style") == "width: 100%;"
    keep_picture(phone, tmp_path / "upload.png")
    phone.click("#upload-done")  # on to the album, to tag
    phone.wait_for_load_state("load")
    assert phone.locator("#library img").count() == 3
    # The thumbnails load lazily, which the page's load event does not wait for: wait until each is done,
    # then every one must have arrived as a picture (a broken one is complete with no width).
    phone.wait_for_function("Array.from(document.images).every(i => i.complete)")
    assert phone.evaluate("Array.from(document.images).every(i => i.naturalWidth > 0)")
    live_app.config["MEDIA_ROOT"] = None
    print("screenshot:", tmp_path / "upload.png")
