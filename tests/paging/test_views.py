"""My paging and the team defaults: htmx partials, what a refusal says, whose things one may touch, and a constant
number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from notifications.models import Notification
from paging.models import ContactMethod, NotificationRule

from ..factories import QueueFactory, UserFactory
from .conftest import rules, verified

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def engineer(client):
    person = UserFactory(role=Role.AGENT)
    client.force_login(person)
    return person


def test_an_engineer_without_numbers_or_rules_sees_what_applies(client, engineer):
    response = client.get(reverse("paging"))

    assert response.status_code == 200
    assert b"No number" in response.content
    assert b"you get an email at once (your teams set no default)" in response.content


def test_each_field_on_the_page_has_an_id_of_its_own(client, engineer):
    response = client.get(reverse("paging"))

    ids = re.findall(r'\bid="([^"]+)"', response.content.decode())
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("queues", [1, 8])
def test_the_page_reads_a_constant_number_of_queries(client, engineer, queues, django_assert_max_num_queries, settings):
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    for _ in range(queues):
        queue = QueueFactory(members=[engineer])
        rules({"queue": queue}, "urgent", (0, "sms"), (5, "voice"))
    verified(engineer, "sms", "+447911123456")
    ContactMethod.objects.create(user=engineer, medium="slack", slack_user_id="U0ENGINEER", verified_at=timezone.now())
    rules({"user": engineer}, "urgent", (0, "slack"), (0, "sms"), (2, "voice"))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("paging"))

    assert response.content.count(b" default: SMS at once, Phone call after 5 min") == queues
    assert b"U0ENGINEER" in response.content


def test_without_slack_configured_the_page_says_so(client, engineer, settings):
    settings.SLACK_BOT_TOKEN = ""

    response = client.get(reverse("paging"))

    assert b"Slack is not configured here" in response.content
    assert reverse("paging-slack-set").encode() not in response.content


def test_linking_slack_by_email_verifies_it_and_returns_the_partial(client, engineer, fake_slack):
    response = client.post(reverse("paging-slack-set"), {"slack_user_id": ""}, **HTMX)

    assert response.status_code == 200
    assert response.content.startswith(b'<div id="paging-settings">')
    assert fake_slack.user_id(engineer.email).encode() in response.content
    assert ContactMethod.objects.get(user=engineer, medium="slack").is_verified


def test_a_wrong_slack_member_id_says_what_to_type_next_to_the_field(client, engineer, fake_slack):
    response = client.post(reverse("paging-slack-set"), {"slack_user_id": "#general"}, **HTMX)

    assert response.status_code == 400
    assert "Type your Slack member ID" in response.content.decode()
    assert not ContactMethod.objects.exists()


def test_an_unlinked_slack_account_can_be_removed(client, engineer, fake_slack):
    ContactMethod.objects.create(user=engineer, medium="slack", slack_user_id="U0ENGINEER", verified_at=timezone.now())

    response = client.post(reverse("paging-number-delete", args=["slack"]), **HTMX)

    assert response.status_code == 200
    assert not ContactMethod.objects.exists()


def test_adding_a_number_texts_a_code_and_returns_the_partial(client, engineer):
    response = client.post(reverse("paging-number-set"), {"medium": "sms", "phone": "+44 7911 123456"}, **HTMX)

    assert response.status_code == 200
    assert response.content.startswith(b'<div id="paging-settings">')
    assert b"Waiting for the code" in response.content
    assert Notification.objects.filter(sms_to="+447911123456").exists()


def test_a_wrong_number_says_what_to_type_next_to_the_field(client, engineer):
    response = client.post(reverse("paging-number-set"), {"medium": "sms", "phone": "07911 123456"}, **HTMX)

    assert response.status_code == 400
    assert b"international format" in response.content
    assert not ContactMethod.objects.exists()


def test_a_loosening_rule_is_refused_with_the_reason(client, engineer):
    queue = QueueFactory(name="Payments", members=[engineer])
    rules({"queue": queue}, "urgent", (0, "email"))
    rules({"user": engineer}, "urgent", (0, "email"), (5, "email"))
    first = NotificationRule.objects.get(user=engineer, delay=timedelta(0))

    response = client.post(reverse("paging-rule-delete", args=[first.pk]), **HTMX)

    assert response.status_code == 400
    assert b"The Payments default pages by Email at once" in response.content
    assert NotificationRule.objects.filter(pk=first.pk).exists()


def test_someone_elses_rule_or_number_is_not_found(client, engineer):
    other = UserFactory(role=Role.AGENT)
    rules({"user": other}, "urgent", (0, "email"))
    verified(other, "sms", "+447911123456")

    assert client.post(reverse("paging-rule-delete", args=[NotificationRule.objects.get().pk])).status_code == 404
    assert client.post(reverse("paging-number-verify", args=["sms"]), {"code": "123456"}).status_code == 404


def test_team_defaults_are_for_managers(client, engineer):
    queue = QueueFactory(name="Payments")
    assert client.get(reverse("paging-team", args=[queue.slug])).status_code == 404

    client.force_login(UserFactory(role=Role.MANAGER))
    response = client.post(
        reverse("paging-team", args=[queue.slug]), {"band": "urgent", "minutes": 5, "medium": "voice"}
    )

    assert response.status_code == 302
    assert [str(r) for r in NotificationRule.objects.filter(queue=queue)] == ["Phone call after 5 min"]


def test_the_profile_links_to_my_paging(client, engineer):
    assert reverse("paging").encode() in client.get(reverse("profile")).content


@pytest.mark.parametrize("steps", [1, 6])
def test_the_team_defaults_page_reads_a_constant_number_of_queries(client, steps, django_assert_max_num_queries):
    queue = QueueFactory(name="Payments")
    rules({"queue": queue}, "urgent", *[(minutes, "sms") for minutes in range(steps)])
    client.force_login(UserFactory(role=Role.MANAGER))

    with django_assert_max_num_queries(6):
        response = client.get(reverse("paging-team", args=[queue.slug]))

    assert response.content.count(b'name="remove"') == steps


def test_a_team_default_with_a_delay_out_of_range_says_so(client):
    queue = QueueFactory(name="Payments")
    client.force_login(UserFactory(role=Role.MANAGER))

    response = client.post(
        reverse("paging-team", args=[queue.slug]), {"band": "urgent", "minutes": 5000, "medium": "sms"}
    )

    assert response.status_code == 400
    assert b"less than or equal to 1440" in response.content
    assert not NotificationRule.objects.exists()
