"""Security headers: a Content-Security-Policy without inline script, a Permissions-Policy, and no-store on pages
that show secrets or tickets."""

import re
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from accounts.roles import Role

from .factories import QueueFactory, TicketFactory, UserFactory
from .tickets.helpers import comment, upload

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _script_src(csp: str) -> str:
    return next(d for d in csp.split(";") if d.strip().startswith("script-src")).strip()


@pytest.mark.parametrize("path", ["/", "/tickets/", "/profile/", "/admin/", "/api/docs/", "/accounts/login/"])
def test_every_page_forbids_inline_script_and_unused_browser_features(client, path):
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(path)
    assert _script_src(response["Content-Security-Policy"]) == "script-src 'self'"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_the_api_docs_load_their_script_from_a_url(client):
    client.force_login(UserFactory())
    page = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
    script = re.search(r'<script src="(/api/docs/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "SwaggerUIBundle" in client.get(script).content.decode()


def test_no_template_holds_inline_script_or_event_handlers():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    found = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.*")
        if inline_script.search(path.read_text()) or handler.search(path.read_text())
    ]
    assert found == []


def test_the_profile_page_with_the_fresh_token_is_not_stored(client):
    client.force_login(UserFactory())
    client.post("/profile/")
    response = client.get("/profile/")
    assert Token.objects.get().key in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_ticket_pages_and_attachments_are_not_stored(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agent = UserFactory(role=Role.AGENT)
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    attachment = comment(ticket, agent, "The log.", files=[upload("vpn.log")]).attachments.get()
    client.force_login(agent)
    page = ticket.get_absolute_url()
    for path in [page, f"{page}edit/", f"{page}files/{attachment.pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


@pytest.mark.parametrize("path", ["/api/tickets/", "/api/tickets/{ref}/", "/api/tickets/{ref}/comments/"])
def test_api_answers_are_not_stored(client, path):
    agent = UserFactory(role=Role.AGENT)
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    client.force_login(agent)
    response = client.get(path.format(ref=ticket.reference))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
