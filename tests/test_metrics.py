"""GET /metrics: Prometheus' text format for the holder of BEELDRECHT_METRICS_TOKEN only, requests
counted by endpoint name (never a path), the job table read at scrape time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.jobs.models import Job, JobState
from app.timestamps import utcnow

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def metrics_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def _scrape(client) -> str:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return str(answer.get_data(as_text=True))


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_without_the_setting_there_are_no_metrics(client, app):
    assert app.config["METRICS_TOKEN"] is None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "],
)
def test_a_missing_or_wrong_token_is_refused(client, metrics_on, header):
    headers = {"Authorization": header} if header else {}
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert "beeldrecht_" not in answer.get_data(as_text=True)


def test_a_page_view_is_counted_by_endpoint_method_and_status(client, metrics_on):
    sample = 'beeldrecht_http_requests_total{endpoint="accounts.sign_in",method="GET",status="200"}'
    timed = 'beeldrecht_http_request_duration_seconds_count{endpoint="accounts.sign_in",method="GET"}'
    before = _scrape(client)
    assert client.get("/sign-in").status_code == 200
    after = _scrape(client)
    assert _value(after, sample) == _value(before, sample) + 1
    assert _value(after, timed) == _value(before, timed) + 1
    assert "# TYPE beeldrecht_http_request_duration_seconds histogram" in after


def test_labels_name_endpoints_never_paths(client, metrics_on):
    """A path can carry a one-time token or an id: only the endpoint's name is a label."""
    client.get("/invitation/secret-one-time-token-123")
    client.get("/no/such/page/jan.jansen@example.org")
    text = _scrape(client)
    assert 'endpoint="accounts.open_invitation"' in text
    assert "secret-one-time-token-123" not in text
    assert "jansen" not in text
    assert 'beeldrecht_http_requests_total{endpoint="none",method="GET",status="404"}' in text


def test_the_jobs_gauges_follow_the_job_table(client, metrics_on, app):
    failed = 'beeldrecht_jobs{kind="film.process",state="failed"}'
    queued = 'beeldrecht_jobs{kind="mail.send",state="queued"}'
    before = _scrape(client)
    with app.app_context():
        db.session.add(Job(kind="film.process", target_id=7, state=JobState.FAILED, last_error="DecodeError"))
        db.session.add(Job(kind="mail.send", state=JobState.QUEUED, created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    after = _scrape(client)
    assert _value(after, failed) == _value(before, failed) + 1
    assert _value(after, queued) == _value(before, queued) + 1
    assert _value(after, "beeldrecht_job_failures") == _value(before, "beeldrecht_job_failures") + 1
    assert _value(after, "beeldrecht_job_oldest_queued_seconds") >= 3600
    assert _value(after, "beeldrecht_database_up") == 1
    assert _value(after, "beeldrecht_redis_up") == 1  # the tests' Redis answers


def test_a_scraper_gets_no_session_cookie(app, metrics_on):
    answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_redis_down_shows_as_zero(client, metrics_on, monkeypatch, app):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")
    assert _value(_scrape(client), "beeldrecht_redis_up") == 0
