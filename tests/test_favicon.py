"""A favicon: linked from every page, and answered at /favicon.ico, where browsers ask anyway."""

from __future__ import annotations

import re


def test_every_page_links_the_favicon_and_it_is_served(client):
    page = client.get("/sign-in").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link, "no favicon link"
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


def test_favicon_ico_is_not_a_404(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
