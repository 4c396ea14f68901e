"""The API's edges: whatever a client sends or asks for, the answer is JSON and never a 500."""

import pytest

from .factories import QueueFactory
from .tickets.helpers import api_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_json_nested_thousands_deep_is_a_400(agent, depth):
    QueueFactory(members=[agent])
    body = '{"title": ' + "[" * depth + "]" * depth + ', "severity": "SEV3"}'
    response = api_client(agent).generic("POST", "/api/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body is nested too deeply."}


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/tickets/not a reference/", "/api/tickets/SD-1/nope/"])
def test_unknown_api_url_is_a_json_404(agent, path):
    response = api_client(agent).get(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"detail": "Not found."}


def test_unknown_page_is_still_the_html_404(client, agent):
    client.force_login(agent)
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_in_the_api_is_a_json_500(agent, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("tickets.selectors.ticket_list", crash)
    client = api_client(agent)
    client.raise_request_exception = False
    response = client.get("/api/tickets/")
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert "went wrong" in response.json()["detail"]
