"""tests/e2e/axe.py fetches axe-core once, checks it against the pinned sha512 and keeps it; what
cannot be fetched or does not match fails loudly (no browser needed: these run with the unit tests)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile

import pytest

from tests.e2e.axe import AxeUnavailable, axe_source


def tarball(script: bytes = b"window.axe = {};") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in (("package/axe.min.js", script), ("package/LICENSE", b"Mozilla Public License 2.0")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_a_verified_tarball_is_unpacked_once_and_then_read_from_the_cache(tmp_path):
    data = tarball()
    source = tmp_path / "axe.tgz"
    source.write_bytes(data)
    cache = tmp_path / "cache"
    assert axe_source(cache, source.as_uri(), integrity_of(data)) == "window.axe = {};"
    assert (cache / "LICENSE").read_bytes().startswith(b"Mozilla Public License")
    source.unlink()  # gone from "the registry": the cache serves it
    assert axe_source(cache, source.as_uri(), integrity_of(data)) == "window.axe = {};"


def test_a_tarball_that_does_not_match_the_pinned_integrity_is_refused(tmp_path):
    source = tmp_path / "axe.tgz"
    source.write_bytes(tarball(b"window.axe = 'tampered';"))
    with pytest.raises(AxeUnavailable, match="does not match its pinned integrity"):
        axe_source(tmp_path / "cache", source.as_uri(), integrity_of(tarball()))
    assert not (tmp_path / "cache" / "axe.min.js").exists()


def test_an_unreachable_registry_fails_with_a_clear_message(tmp_path):
    with pytest.raises(AxeUnavailable, match="could not be downloaded"):
        axe_source(tmp_path / "cache", (tmp_path / "missing.tgz").as_uri())
