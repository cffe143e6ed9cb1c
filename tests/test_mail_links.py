"""Links in mail point where the school is reached: BEELDRECHT_BASE_URL when set, else the address
the request came to, else (the CLI) this machine on the configured port."""

from __future__ import annotations

from tests.conftest import CSRF_RE, extract_link

SCHOOL = "http://beeldrecht.school.test:5001"


def ask_for_a_reset(client, base_url: str):
    """The forgotten-password form, opened and posted at ``base_url`` (the Host the browser sends)."""
    page = client.get("/sign-in", base_url=base_url).get_data(as_text=True)
    match = CSRF_RE.search(page)
    token = match.group(1) or match.group(2)
    data = {"email": "parent@example.org", "csrf_token": token}
    return client.post("/password/forgot", data=data, base_url=base_url)


def test_the_configured_base_url_wins_over_the_requests_host(client, world, outbox, app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://beeldrecht.jozefschool.nl/")
    assert ask_for_a_reset(client, SCHOOL).status_code == 302
    assert extract_link(outbox[0].body).startswith("https://beeldrecht.jozefschool.nl/password/reset/")


def test_without_a_base_url_a_mail_links_to_the_host_the_request_came_to(client, world, outbox, app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", None)
    assert ask_for_a_reset(client, SCHOOL).status_code == 302
    link = extract_link(outbox[0].body)
    assert link.startswith(f"{SCHOOL}/password/reset/")
    assert client.get(link.removeprefix(SCHOOL)).status_code == 302  # and it works


def test_without_a_base_url_the_cli_links_to_this_machine_on_the_configured_port(runner, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", None)
    monkeypatch.setitem(app.config, "PORT", 5001)
    result = runner.invoke(args=["users", "invite", "volunteer@example.org", "--role", "teacher"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("http://127.0.0.1:5001/invitation/")
