"""One-tap acknowledge: the GET only shows a button, the POST acknowledges as the paged person, once, before the link
expires, for that ticket and person only; no password, no CSRF token (the token is the credential)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils.html import strip_tags
from django.utils.http import base36_to_int, int_to_base36

from notifications.models import Notification
from paging.models import Page, PageLink
from paging.services import page_start
from tickets.models import TicketEvent

from ..factories import QueueFactory, TicketFactory, UserFactory, severity

pytestmark = pytest.mark.django_db


def link_of(ticket, medium_field: str = "sms_to") -> str:
    row = Notification.objects.filter(ticket=ticket, **{f"{medium_field}__gt": ""}).latest("pk")
    assert row.link in row.body  # the link travels in the message itself
    return row.link.removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def phone():
    """A phone's browser: nobody signed in, and CSRF enforced as a real browser would meet it."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def paged(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="Escalated", key="test:1")
    return link_of(sev1)


def test_a_get_shows_a_button_and_acknowledges_nothing(phone, paged, sev1, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = phone.get(paged)

    assert response.status_code == 200
    assert b"Acknowledge as Jo Lind" in response.content
    sev1.refresh_from_db()
    assert sev1.acknowledged_at is None  # link previews and scanners only GET
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_post_acknowledges_as_the_paged_person_without_a_password(phone, paged, sev1, jo):
    response = phone.post(paged)

    assert response.status_code == 200
    assert b"Acknowledged" in response.content
    sev1.refresh_from_db()
    assert (sev1.status, sev1.assignee, sev1.acknowledged_at is not None) == ("acknowledged", jo, True)
    note = TicketEvent.objects.filter(ticket=sev1, kind="status_changed").latest("pk").data["note"]
    assert note == "Acknowledged from SMS."
    assert Page.objects.get().stop_reason == "Acknowledged by Jo Lind from SMS."


def test_the_ticket_page_says_both_changes_came_from_sms(phone, paged, sev1, jo, client):
    phone.post(paged)
    client.force_login(jo)

    text = " ".join(strip_tags(client.get(sev1.get_absolute_url()).content.decode()).split())
    assert "changed the status from New to Acknowledged from SMS" in text
    assert "assigned it to Jo Lind from SMS" in text


def test_a_link_works_once(phone, paged, sev1):
    phone.post(paged)
    again = phone.post(paged)

    assert again.status_code == 400
    assert b"This link was used already" in again.content
    assert phone.get(paged).status_code == 400


def test_an_expired_link_is_refused(phone, paged, sev1, clock):
    clock.shift(timedelta(hours=12, seconds=1))

    response = phone.post(paged)

    assert response.status_code == 400
    assert b"This link has expired" in response.content
    sev1.refresh_from_db()
    assert sev1.acknowledged_at is None


def test_a_link_for_another_ticket_or_a_changed_token_is_refused(phone, paged, jo, sev1):
    other = TicketFactory(queue=sev1.queue, severity=severity("SEV1"))
    _, _, reference, token = paged.split("/")
    head, signature = token.split(".")

    for tampered in (
        f"/p/{other.reference}/{token}",  # this ticket's link on another ticket
        f"/p/{reference}/{head}.{signature[::-1]}",  # a guessed signature
        f"/p/{reference}/{int_to_base36(base36_to_int(head) + 1)}.{signature}",  # another link's id
        f"/p/{reference}/nonsense",
    ):
        response = phone.post(tampered)
        assert response.status_code == 400, tampered
        assert b"This link is not valid" in response.content
    sev1.refresh_from_db()
    assert sev1.acknowledged_at is None


def test_another_person_signed_in_cannot_use_someone_elses_link(phone, paged, sev1):
    colleague = UserFactory(first_name="Sam", last_name="Ok")
    phone.force_login(colleague)

    response = phone.post(paged)

    assert response.status_code == 400
    assert b"This link is for Jo Lind, and you are signed in as Sam Ok." in response.content
    sev1.refresh_from_db()
    assert sev1.acknowledged_at is None


def test_a_person_who_left_the_queue_cannot_acknowledge(phone, paged, sev1, jo):
    sev1.queue.members.remove(jo)

    response = phone.post(paged)

    assert response.status_code == 400
    assert b"no longer works this ticket" in response.content


def test_each_medium_carries_its_own_link(clock, jo):
    queue = QueueFactory(members=[jo])
    ticket = TicketFactory(queue=queue, severity=severity("SEV3"))  # the "other" band: email, the fallback

    page_start(ticket=ticket, user=jo, reason="r", key="test:mail")

    mail = Notification.objects.get(ticket=ticket, email=jo.email)
    assert "Acknowledge with one tap: http" in mail.body
    assert PageLink.objects.get().via == "email"
