"""One-tap acknowledge links: short enough for an SMS, signed so that neither the link's id nor the ticket in the
address can be changed, and backed by a row that makes them expire and work once.

A link reads /p/<reference>/<token>, the token being the row's id in base 36, a dot, and 16 characters of an
HMAC (SECRET_KEY, salted) over the id, the ticket, the person and the medium (96 bits)."""

import base64
import hmac

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from .models import PageLink

SALT = "paging.links"
SIGNATURE_CHARS = 16


def _signature(link_id: int, ticket_id: int, user_id: int, via: str) -> str:
    digest = salted_hmac(SALT, f"{link_id}:{ticket_id}:{user_id}:{via}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]


def link_token(link: PageLink, *, ticket_id: int, user_id: int) -> str:
    return f"{int_to_base36(link.pk)}.{_signature(link.pk, ticket_id, user_id, link.via)}"


def link_url(link: PageLink, *, reference: str, ticket_id: int, user_id: int) -> str:
    token = link_token(link, ticket_id=ticket_id, user_id=user_id)
    return settings.SITE_URL + reverse("page-link", args=[reference, token])


def link_id(token: str) -> int | None:
    """The row id the token names, or None when it cannot be one (the signature is checked against the row)."""
    head, _, signature = token.partition(".")
    if not head or len(signature) != SIGNATURE_CHARS or len(head) > 12:
        return None
    try:
        return base36_to_int(head)
    except ValueError:
        return None


def link_signed(token: str, link: PageLink, *, ticket_id: int, user_id: int) -> bool:
    return hmac.compare_digest(token, link_token(link, ticket_id=ticket_id, user_id=user_id))
