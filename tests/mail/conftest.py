"""Mail fixtures: a queue's mailbox, and the real-world samples in samples/ with our ids filled in."""

from pathlib import Path

import pytest
from django.conf import settings

from mail.models import Mailbox

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str, **values: object) -> bytes:
    """A sample message; {{ticket}}, {{notice}} and {{domain}} become these values (domain: ours by default)."""
    raw = (SAMPLES / f"{name}.eml").read_bytes()
    for key, value in {"domain": settings.EMAIL_DOMAIN, **values}.items():
        raw = raw.replace(b"{{%s}}" % key.encode(), str(value).encode())
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # on the wire, as servers hand it over


@pytest.fixture
def mailbox(queue) -> Mailbox:
    return Mailbox.objects.create(address="support@example.net", queue=queue, allowed_domains="example.com")
