from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from notifications import senders
from paging import tasks
from paging.models import ContactMethod, NotificationRule

from ..factories import QueueFactory, TicketFactory, UserFactory, severity

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # three in the morning: the hour paging is for


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def queued_steps() -> list[tuple[int, str, float]]:
    """Page step tasks the changes so far would queue after the commit: (page id, token, countdown)."""
    waiting = [cb for _, cb, _ in connection.run_on_commit if isinstance(cb, partial)]
    return [
        (*cb.keywords["args"], cb.keywords["countdown"])
        for cb in waiting
        if cb.func == tasks.page_step_task.apply_async
    ]


def verified(user, medium: str, phone: str) -> ContactMethod:
    return ContactMethod.objects.create(user=user, medium=medium, phone=phone, verified_at=timezone.now())


def rules(owner: dict, band: str, *steps: tuple[int, str]) -> None:
    for minutes, medium in steps:
        NotificationRule.objects.create(**owner, band=band, delay=timedelta(minutes=minutes), medium=medium)


@pytest.fixture
def jo(db):
    """An engineer with verified numbers, paged for SEV1-2 by SMS at once and a call after five minutes."""
    person = UserFactory(role=Role.AGENT, first_name="Jo", last_name="Lind")
    verified(person, "sms", "+447700900123")
    verified(person, "voice", "+447700900124")
    rules({"user": person}, "urgent", (0, "sms"), (5, "voice"))
    return person


@pytest.fixture
def sev1(jo):
    return TicketFactory(queue=QueueFactory(name="Payments", members=[jo]), severity=severity("SEV1"))


class FakeSms:
    """The gateway's SMS and voice functions, answering from memory (Stubber covers the real shapes in
    tests/awsgateway/test_sms_voice.py)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail_with: dict[str, Exception] = {}

    def _send(self, kind: str):
        def send(*, destination: str, body: str, key: str) -> str:
            if kind in self.fail_with:
                raise self.fail_with[kind]
            self.sent.append((kind, destination, body))
            return f"msg-{len(self.sent)}"

        return send


@pytest.fixture
def fake_sms(monkeypatch) -> FakeSms:
    fake = FakeSms()
    monkeypatch.setattr(senders, "sms_send", fake._send("sms"))
    monkeypatch.setattr(senders, "voice_send", fake._send("voice"))
    return fake
