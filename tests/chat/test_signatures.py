"""Slack's request signatures: the documented test vector, and refusals that leave no trace."""

import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory

# https://api.slack.com/authentication/verifying-requests-from-slack: the worked example
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TIMESTAMP = 1531420618
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def _vector_post(client: Client, *, body: str = VECTOR_BODY, signature: str = VECTOR_SIGNATURE):
    headers = {"X-Slack-Request-Timestamp": str(VECTOR_TIMESTAMP), "X-Slack-Signature": signature}
    return client.post(
        reverse("slack-command"), body, content_type="application/x-www-form-urlencoded", headers=headers
    )


@pytest.mark.django_db
def test_slacks_documented_test_vector_is_accepted(settings):
    settings.SLACK_SIGNING_SECRET = VECTOR_SECRET
    with time_machine.travel(VECTOR_TIMESTAMP + 30, tick=False):  # Slack's example, half a minute later
        response = _vector_post(Client(enforce_csrf_checks=True))  # no CSRF token: Slack has none
    assert response.status_code == 200
    assert "/supportdesk" in response.json()["text"]  # an empty command is asked for help


@pytest.mark.django_db
def test_a_forged_body_is_refused(settings):
    settings.SLACK_SIGNING_SECRET = VECTOR_SECRET
    with time_machine.travel(VECTOR_TIMESTAMP + 30, tick=False):
        response = _vector_post(Client(), body=VECTOR_BODY.replace("roadrunner", "coyote"))
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_test_vector_is_stale_after_five_minutes(settings):
    settings.SLACK_SIGNING_SECRET = VECTOR_SECRET
    with time_machine.travel(VECTOR_TIMESTAMP + 5 * 60 + 1, tick=False):
        response = _vector_post(Client())
    assert response.status_code == 403
    assert b"too old" in response.content


@pytest.mark.django_db
def test_unsigned_and_unconfigured_requests_are_refused(client, settings):
    settings.SLACK_SIGNING_SECRET = VECTOR_SECRET
    assert client.post(reverse("slack-interactivity"), {"payload": "{}"}).status_code == 401
    settings.SLACK_SIGNING_SECRET = ""
    response = _vector_post(client)
    assert response.status_code == 503
    assert b"Slack is not configured" in response.content


def test_a_get_is_not_allowed(client):
    assert client.get(reverse("slack-interactivity")).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["forged", "stale", "unsigned"])
def test_a_refused_click_changes_nothing(in_slack, agent, tamper):
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    ts = in_slack.card(ticket)
    path, form = in_slack.fake.click_request(ts=ts, action_id="ticket_acknowledge", email=agent.email)
    if tamper == "forged":
        in_slack.fake.signing_secret = "not-the-secret"
        response = in_slack.post(path, form)
    elif tamper == "stale":
        response = in_slack.post(path, form, timestamp=int(time.time()) - 301)
    else:
        response = in_slack.client.post(path, form)
    assert response.status_code in (401, 403)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert in_slack.fake.calls == [("chat.postMessage", in_slack.fake.calls[0][1])]  # nobody looked up, nothing redrawn


@pytest.mark.django_db
def test_a_replayed_or_retried_click_acts_once(in_slack, agent):
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    ts = in_slack.card(ticket)
    path, form = in_slack.fake.click_request(ts=ts, action_id="ticket_escalate", email=agent.email)
    first = in_slack.post(path, form)
    replayed = in_slack.post(path, form)  # the same signed request again, within the five minutes
    retried = in_slack.post(path, form, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert (first.status_code, replayed.status_code, retried.status_code) == (200, 200, 200)
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert in_slack.told(agent.email) == []  # a repeat is no error to tell anyone about
