"""Helpers shared by the ticket tests: uploads, notes, forged cursors and reading pages back."""

import base64
import json
import re

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from rest_framework.test import APIClient

from tickets import services
from tickets.models import Comment, Ticket

LOGIN_PATH = "/accounts/login/"
_REF_IN_ROW = re.compile(r'class="ref">([A-Z]+-\d+)<')


def upload(name: str = "boot.log", content: bytes = b"kernel: all good\n", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def comment(ticket: Ticket, author, body: str, *, internal: bool = False, files=()) -> Comment:
    """A reply (or an internal note) added the way people add them, through the service."""
    return services.comment_add(ticket=ticket, author=author, body=body, is_internal=internal, attachments=files)


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def forged_cursor(payload) -> str:
    """A cursor as the keyset paginator encodes one, with whatever a caller cares to put inside."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def html_refs(response: HttpResponse) -> list[str]:
    """Ticket references in the rows of a rendered ticket table, in page order."""
    return _REF_IN_ROW.findall(response.content.decode())


def api_refs(response) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]


def flashes(response: HttpResponse) -> list[tuple[str, str]]:
    """The messages a view queued for the next page, as (level, text)."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
