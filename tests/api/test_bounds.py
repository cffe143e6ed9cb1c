"""Numbers beyond a row id's range (2^31-1, an INTEGER key) in a path, a query or a body answer
404 or 422, never 500 (PostgreSQL refuses to compare an INTEGER column with them)."""

from __future__ import annotations

import pytest

from app.ids import MAX_ID

TOO_BIG = (MAX_ID + 1, 2**63, 2**64 + 5)


@pytest.fixture
def token_for(runner, world):
    def issue(who: str) -> dict[str, str]:
        result = runner.invoke(args=["users", "token", f"{who}@example.org", "--name", "test"])
        assert result.exit_code == 0, result.output
        return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}

    return issue


@pytest.mark.parametrize("number", [*TOO_BIG, -1, 0])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/media/{n}",
        "/api/v1/people/{n}",
        "/api/v1/people/{n}/consents",
        "/api/v1/media/{n}/thumbnail.jpg",
        "/api/v1/exports/{n}",
    ],
)
def test_api_paths_with_numbers_out_of_range_are_404(client, token_for, path, number):
    response = client.get(path.format(n=number), headers=token_for("admin"))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("number", [*TOO_BIG, -1])
@pytest.mark.parametrize(
    "path", ["/media/{n}", "/media/{n}/thumbnail.jpg", "/media/{n}/playback", "/people/{n}", "/consent/{n}"]
)
def test_web_paths_with_numbers_out_of_range_are_404(client, login_as, path, number):
    login_as("admin")
    assert client.get(path.format(n=number)).status_code == 404


def test_the_largest_id_is_still_an_id(client, token_for):
    """The bound is the column's range, not less: 2^31-1 is looked up (and not found)."""
    response = client.get(f"/api/v1/media/{MAX_ID}", headers=token_for("admin"))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("number", [*TOO_BIG, 0, -1])
def test_api_query_and_body_numbers_out_of_range_are_422_naming_the_field(client, token_for, world, number):
    headers = token_for("admin")
    listed = client.get(f"/api/v1/people?group_id={number}", headers=headers)
    assert listed.status_code == 422
    assert "group_id" in str(listed.get_json()["error"]["details"])
    tagged = client.put(
        "/api/v1/media/1/tags", headers=headers, json={"tags": [{"person_id": number}], "complete": False}
    )
    assert tagged.status_code == 422
    assert "person_id" in str(tagged.get_json()["error"]["details"])
    exported = client.post("/api/v1/exports", headers=headers, json={"channel": "website", "media_ids": [number]})
    assert exported.status_code == 422
    assert "media_ids" in str(exported.get_json()["error"]["details"])


@pytest.mark.parametrize("number", TOO_BIG)
def test_web_query_numbers_out_of_range_are_ignored(client, login_as, published_form, number):
    login_as("admin")
    for url in (
        f"/media/?group={number}&album={number}",
        f"/admin/groups?year={number}",
        f"/release/publications?channel={number}&media={number}",
    ):
        assert client.get(url).status_code == 200, url  # the filter is left out, as for any bad value
