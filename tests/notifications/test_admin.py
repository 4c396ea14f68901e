import pytest
from django.urls import reverse

from notifications.models import Channel, Notification
from notifications.retries import SWEEP_AFTER

pytestmark = pytest.mark.django_db

SECRET = "the-webhook-secret-1234"


@pytest.fixture
def hook() -> Channel:
    return Channel.objects.create(name="Jira", kind="webhook", webhook_url="https://x.example/h", webhook_secret=SECRET)


def test_the_webhook_secret_is_never_shown_and_kept_when_left_empty(client, admin_user, hook):
    client.force_login(admin_user)
    url = reverse("admin:notifications_channel_change", args=[hook.pk])

    page = client.get(url).content.decode()
    assert SECRET not in page and "ending in …1234" in page

    fields = {
        "name": "Jira",
        "kind": "webhook",
        "webhook_url": "https://x.example/h",
        "webhook_secret": "",
        "enabled": "on",
        "queue_links-TOTAL_FORMS": "0",
        "queue_links-INITIAL_FORMS": "0",
    }
    assert client.post(url, fields).status_code == 302
    hook.refresh_from_db()
    assert hook.webhook_secret == SECRET

    client.post(url, fields | {"webhook_secret": "a-new-secret-for-the-hook"})
    hook.refresh_from_db()
    assert hook.webhook_secret == "a-new-secret-for-the-hook"


def test_replay_queues_dead_and_failed_notifications_again_and_leaves_others(
    client, admin_user, hook, ticket, broker, django_capture_on_commit_callbacks
):
    base = {"channel": hook, "ticket": ticket, "event": "notice", "reason": "r", "subject": "s", "body": "b"}
    failed = Notification.objects.create(key="a", status="failed", attempts=1, last_error="HTTP 404", **base)
    dead = Notification.objects.create(key="c", status="dead", attempts=99, retry_until=ticket.created_at, **base)
    sent = Notification.objects.create(key="b", status="sent", attempts=1, **base)
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "retry", "_selected_action": [failed.pk, dead.pk, sent.pk]},
            follow=True,
        )

    assert "2 notification(s) queued for another day of tries; 1 selected were neither dead nor failed" in (
        response.content.decode()
    )
    for row in (failed, dead):
        row.refresh_from_db()
        assert (row.status, row.attempts, row.retry_until) == ("pending", 0, None)
        assert row.next_attempt_at > row.created_at + SWEEP_AFTER / 2
    assert sorted(broker.queued) == sorted([failed.pk, dead.pk])
    assert Notification.objects.get(pk=sent.pk).status == "sent"


def test_the_list_finds_a_ticket_by_its_reference(client, admin_user, hook, ticket):
    base = {"channel": hook, "event": "notice", "reason": "r", "subject": "s", "body": "b"}
    Notification.objects.create(key="mine", ticket=ticket, attributes={"reference": ticket.reference}, **base)
    Notification.objects.create(key="other", **base | {"subject": f"about {ticket.reference}"})
    client.force_login(admin_user)

    page = client.get(reverse("admin:notifications_notification_changelist"), {"q": ticket.reference})

    assert [row.key for row in page.context["cl"].result_list] == ["mine"]
    assert (
        client.get(reverse("admin:notifications_notification_changelist"), {"status__exact": "failed"}).status_code
        == 200
    )
