"""A small driver for release tests: upload and tag through the API, decide as the demo parents."""

from __future__ import annotations

import io
from typing import Any

import skimage.data
from PIL import Image, ImageDraw

CHANNEL_PURPOSE = {
    "instagram": "social_media",
    "facebook": "social_media",
    "website": "website",
    "newsletter": "newsletter",
    "school_guide": "school_guide",
    "parent_portal": "parent_portal",
}
DECIDERS = {"sem": "parent", "noah": "parent2", "emma": "parent"}


class Caller:
    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kw)


class Release:
    def __init__(self, app: Any, client: Any, runner: Any, world: dict[str, int]) -> None:
        self.app, self.client, self.world = app, client, world
        self.runner = runner
        self.comms = self.token("comms")
        self.teacher = self.token("teacher")
        self.leader = self.token("leader")

    def token(self, who: str) -> Caller:
        """An API caller with a new personal token of ``who@example.org``."""
        output = self.runner.invoke(args=["users", "token", f"{who}@example.org"]).output
        return Caller(self.client, output.strip().splitlines()[-1])

    def export(self, channel: str, media_ids: list[int], **extra: Any) -> Any:
        """Export as communications; on a channel that needs approval, the request (202) is approved
        by the leadership, so the answer is the released export (or the refusal)."""
        response = self.comms.post("/api/v1/exports", json={"channel": channel, "media_ids": media_ids, **extra})
        if response.status_code != 202:
            return response
        assert response.get_json()["status"] == "awaiting_approval"
        approval = next(
            a
            for a in self.leader.get("/api/v1/approvals?status=open").get_json()
            if a["export_id"] == response.get_json()["id"]
        )
        decided = self.leader.post(f"/api/v1/approvals/{approval['id']}/approve", json={})
        if decided.status_code != 200:
            return decided
        return self.comms.get(f"/api/v1/exports/{response.get_json()['id']}")

    @staticmethod
    def photo_of_two(colour: tuple[int, int, int] = (120, 160, 200), size=(1600, 1200), orientation=None) -> bytes:
        """A textured picture with a phone's EXIF (maker, GPS), an XMP packet and a comment."""
        image = Image.new("RGB", size, colour)
        draw = ImageDraw.Draw(image)
        for n in range(0, size[0], 37):
            draw.line((n, 0, size[0] - n, size[1]), fill=((n * 7) % 256, 90, 30), width=3)
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"
        exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}
        if orientation:
            exif[0x0112] = orientation
        out = io.BytesIO()
        xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://ns.adobe.com/xap/1.0/">Sem</rdf:RDF></x:xmpmeta>'
        image.save(out, format="JPEG", exif=exif, comment=b"Sem en Noah", xmp=xmp, quality=90)
        return out.getvalue()

    @staticmethod
    def astronaut() -> bytes:
        out = io.BytesIO()
        Image.fromarray(skimage.data.astronaut()).save(out, format="JPEG")
        return out.getvalue()

    def upload(self, data: bytes, group: str = "5b") -> int:
        response = self.teacher.post(
            "/api/v1/media",
            data={"file": (io.BytesIO(data), "x.jpg"), "group_id": self.world[group], "album": "Gym"},
            content_type="multipart/form-data",
        )
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        return int(response.get_json()["id"])

    def tag(self, item: int, people: list[int], complete: bool, boxes: dict[int, list[float]] | None = None) -> None:
        boxes = boxes or {}
        body = {"tags": [{"person_id": p, "box": boxes.get(p)} for p in people], "complete": complete}
        response = self.teacher.put(f"/api/v1/media/{item}/tags", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)

    def decide(self, who: str, media: str, purpose: str, action: str) -> int:
        from app.consent.operations import decide
        from app.consent.vocabulary import Means
        from app.extensions import db
        from app.school.models import Person

        with self.app.test_request_context(), self.app.app_context():
            subject = db.session.get(Person, self.world[who])
            decider = db.session.get(Person, self.world[DECIDERS[who]])
            decision = decide(subject, media, purpose, action, decided_by=decider, recorded_by=None, means=Means.WEB)
            db.session.commit()
            return int(decision.id)

    def cleared_photo(self, channel: str, orientation=None, size=(1600, 1200), who: str = "sem") -> int:
        item = self.upload(self.photo_of_two((len(channel) * 20, 99, 7), size=size, orientation=orientation))
        self.tag(item, [self.world[who]], complete=True)
        self.decide(who, "photo", CHANNEL_PURPOSE[channel], "grant")
        return item
