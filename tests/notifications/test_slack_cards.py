"""One Slack card per ticket per conversation, kept current: later notices thread under it, changes redraw it."""

import pytest

from accounts.roles import Role
from notifications import services, tasks
from notifications.models import Channel, Notification, SlackCard
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.workflow import Action

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
SLACK_ID = "C0OPSCHAN1"
QUERIES_ON_THE_REACTION_PATH = 18  # the acknowledgement and its reactions; the cards: one query after commit


class Worker:
    """Stands in for the broker for card refreshes: what was queued, run when the test says."""

    def __init__(self) -> None:
        self.queued: list[int] = []

    def apply_async(self, args, **options) -> None:
        assert options == {"countdown": services.CARD_REFRESH_AFTER_SECONDS, "retry": False}
        self.queued.append(args[0])

    def work(self) -> list[str]:
        queued, self.queued = self.queued, []
        return [tasks.slack_card_refresh_task.apply(args=(pk,)).get() for pk in queued]


@pytest.fixture
def worker(monkeypatch) -> Worker:
    fake = Worker()
    monkeypatch.setattr(tasks.slack_card_refresh_task, "apply_async", fake.apply_async)
    return fake


@pytest.fixture
def slack_channel(fake_slack) -> Channel:
    return Channel.objects.create(name="#ops", kind=Channel.Kind.SLACK, slack_channel=SLACK_ID)


def deliver(ticket, channel: Channel, key: str, reason: str) -> Notification:
    services.notify(ticket=ticket, reason=reason, key=key, channels=[channel])
    row = Notification.objects.get(key=f"{key}:channel:{channel.pk}")
    services.notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    return row


def status_and_buttons(message) -> tuple[str, list[str]]:
    _, facts, actions = message.attachments[0]["blocks"]
    status = next(f["text"] for f in facts["fields"] if f["text"].startswith("*Status*"))
    return status.removeprefix("*Status*\n"), [b["text"]["text"] for b in actions["elements"]]


def test_a_second_notice_threads_under_the_first_card(ticket, slack_channel, fake_slack):
    deliver(ticket, slack_channel, "one", "New ticket")
    ticket.title = "Checkout is down in eu-west-1"
    Ticket.objects.filter(pk=ticket.pk).update(title=ticket.title)

    row = deliver(ticket, slack_channel, "two", "Escalated (level 1)")

    assert row.status == "sent"
    [card] = fake_slack.cards(SLACK_ID)  # one card in the channel
    assert "Escalated (level 1)" in card.attachments[0]["blocks"][0]["text"]["text"]
    assert "Checkout is down in eu-west-1" in card.text  # the ticket as it is now
    [reply] = fake_slack.replies(card)
    assert reply.text == "Escalated (level 1)"
    assert SlackCard.objects.get(ticket=ticket, channel=SLACK_ID).ts == card.ts


def test_an_acknowledgement_elsewhere_redraws_the_card(
    ticket, slack_channel, fake_slack, agent, worker, django_capture_on_commit_callbacks
):
    deliver(ticket, slack_channel, "one", "New ticket")
    assert status_and_buttons(fake_slack.cards(SLACK_ID)[0]) == (
        "New",
        ["Acknowledge", "Resolve", "Escalate", "Assign to me", "Open in Supportdesk"],
    )

    with django_capture_on_commit_callbacks(execute=True):  # as by SMS or in the portal: no click on the card
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    assert worker.work() == ["redrawn"]

    [card] = fake_slack.cards(SLACK_ID)
    status, buttons = status_and_buttons(card)
    assert status == "Acknowledged"
    assert "Acknowledge" not in buttons and "Resolve" in buttons


def test_a_card_deleted_in_slack_is_posted_again(ticket, slack_channel, fake_slack):
    deliver(ticket, slack_channel, "one", "New ticket")
    fake_slack.delete(fake_slack.cards(SLACK_ID)[0])

    row = deliver(ticket, slack_channel, "two", "Escalated (level 1)")

    assert row.status == "sent"
    [card] = fake_slack.cards(SLACK_ID)
    assert "Escalated (level 1)" in card.text and not fake_slack.replies(card)
    assert SlackCard.objects.get(ticket=ticket, channel=SLACK_ID).ts == card.ts


def test_retries_do_not_post_a_second_card(ticket, slack_channel, fake_slack, broker):
    deliver(ticket, slack_channel, "one", "New ticket")
    calls = len(fake_slack.calls)
    fake_slack.fail_next.append((503, "service_unavailable"))  # the redraw of the card fails: retried

    with pytest.raises(services.RetryableDeliveryError):
        deliver(ticket, slack_channel, "two", "Escalated (level 1)")
    row = Notification.objects.get(key=f"two:channel:{slack_channel.pk}")
    assert row.status == "pending" and len(fake_slack.calls) == calls + 1
    services.notification_deliver(notification_id=row.pk)  # the retry

    [card] = fake_slack.cards(SLACK_ID)
    assert [r.text for r in fake_slack.replies(card)] == ["Escalated (level 1)"]
    services.notification_deliver(notification_id=row.pk)  # once sent, never again
    assert len(fake_slack.replies(card)) == 1


def test_a_dm_keeps_one_card_too(ticket, fake_slack):
    person = "U0PERSON01"
    for key, reason in (("one", "Paged: SEV3"), ("two", "Paged again: SEV3")):
        row = Notification.objects.create(
            key=key, ticket=ticket, slack_to=person, subject="s", body="Open: https://x/1", reason=reason
        )
        services.notification_deliver(notification_id=row.pk)
    [card] = fake_slack.cards(person)
    assert "Paged again: SEV3" in card.text  # redrawn; the one-tap link is in the reply
    assert [r.text for r in fake_slack.replies(card)] == ["Paged again: SEV3\nOpen: https://x/1"]


def test_the_refresh_task_is_idempotent_and_forgets_a_deleted_card(ticket, slack_channel, fake_slack, worker):
    deliver(ticket, slack_channel, "one", "New ticket")
    card = SlackCard.objects.get(ticket=ticket)

    assert services.slack_card_refresh(card_id=card.pk) == "redrawn"
    assert services.slack_card_refresh(card_id=card.pk) == "redrawn"
    assert len(fake_slack.cards(SLACK_ID)) == 1 and not fake_slack.replies(fake_slack.cards(SLACK_ID)[0])

    fake_slack.delete(fake_slack.cards(SLACK_ID)[0])
    assert services.slack_card_refresh(card_id=card.pk) == "deleted in Slack"
    assert services.slack_card_refresh(card_id=card.pk) == "gone"
    assert not SlackCard.objects.exists() and not fake_slack.cards(SLACK_ID)


def test_slack_down_retries_the_refresh(ticket, slack_channel, fake_slack, worker):
    deliver(ticket, slack_channel, "one", "New ticket")
    card = SlackCard.objects.get(ticket=ticket)
    fake_slack.fail_next.append((503, "service_unavailable"))
    before = len(fake_slack.calls)

    result = tasks.slack_card_refresh_task.apply(args=(card.pk,))  # eager: the retry runs at once

    assert result.get() == "redrawn"
    assert [method for method, _ in fake_slack.calls[before:]] == ["chat.update", "chat.update"]


def test_changes_in_one_batch_queue_one_refresh_per_card(
    ticket, slack_channel, fake_slack, agent, worker, django_capture_on_commit_callbacks
):
    deliver(ticket, slack_channel, "one", "New ticket")
    SlackCard.objects.create(ticket=ticket, channel="C0OTHERCH1", ts="1.000001", headline="New ticket")

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    with django_capture_on_commit_callbacks(execute=True):  # before the worker ran: coalesced
        ticket_services.ticket_assign(ticket=ticket, actor=agent, assignee=agent)

    assert sorted(worker.queued) == sorted(SlackCard.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("cards", [1, 12])
def test_the_reaction_path_costs_the_same_queries_however_many_cards(
    ticket, fake_slack, agent, worker, cards, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    SlackCard.objects.bulk_create(
        SlackCard(ticket=ticket, channel=f"C0CHANNEL{n:02d}", ts=f"1.{n:06d}", headline="New ticket")
        for n in range(cards)
    )
    with django_assert_max_num_queries(QUERIES_ON_THE_REACTION_PATH), django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    assert len(worker.queued) == cards


def test_a_broker_outage_loses_the_redraw_not_the_change(
    ticket, slack_channel, fake_slack, agent, worker, monkeypatch, django_capture_on_commit_callbacks
):
    deliver(ticket, slack_channel, "one", "New ticket")

    def down(args, **options):
        raise OSError("Connection refused")

    monkeypatch.setattr(tasks.slack_card_refresh_task, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACKNOWLEDGED

    monkeypatch.setattr(tasks.slack_card_refresh_task, "apply_async", worker.apply_async)
    other = UserFactory(role=Role.AGENT)
    ticket.queue.members.add(other)
    with django_capture_on_commit_callbacks(execute=True):  # the next change queues again: nothing held it off
        ticket_services.ticket_assign(ticket=ticket, actor=agent, assignee=other)
    assert worker.work() == ["redrawn"]
    status, buttons = status_and_buttons(fake_slack.cards(SLACK_ID)[0])
    assert status == "Acknowledged" and "Acknowledge" not in buttons
    assert other.display_name in str(fake_slack.cards(SLACK_ID)[0].attachments)


def test_without_slack_or_while_history_replays_no_redraw_is_queued(
    ticket, agent, settings, django_capture_on_commit_callbacks
):
    settings.SLACK_BOT_TOKEN = ""  # no Slack app: no card can exist, and the change queues nothing after it
    with django_capture_on_commit_callbacks() as after:
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    assert not [c for c in after if getattr(c, "func", None) is services._cards_refresh_queue]

    settings.SLACK_BOT_TOKEN = "xoxb-test"
    with services.notices_held_all(), django_capture_on_commit_callbacks() as after:  # the demo's history replayed
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.START)
    assert not [c for c in after if getattr(c, "func", None) is services._cards_refresh_queue]

    with django_capture_on_commit_callbacks() as after:  # and with Slack, a change now queues its redraw
        ticket_services.ticket_assign(ticket=ticket, actor=agent, assignee=None)
    assert [c.args for c in after if getattr(c, "func", None) is services._cards_refresh_queue] == [([ticket.pk],)]
