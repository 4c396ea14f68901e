from urllib.parse import urlencode

import pytest

from chat import tasks
from notifications import slack
from notifications import tasks as notification_tasks
from notifications.messages import ticket_card
from tools.sandbox.slack import DEFAULT_CHANNEL, FakeSlack


@pytest.fixture(autouse=True)
def worker(monkeypatch):
    """The chat tasks run at once, as a worker would run them right after the commit."""
    for task in (tasks.slack_tell_task,):
        monkeypatch.setattr(task, "delay", lambda *args, task=task: task.apply(args))
    refresh = notification_tasks.slack_card_refresh_task
    monkeypatch.setattr(refresh, "apply_async", lambda args, **options: refresh.apply(args))


class Slack:
    """Sends the portal what Slack sends: signed requests, built by the fake."""

    def __init__(self, client, fake: FakeSlack, commit) -> None:
        self.client, self.fake, self.commit = client, fake, commit

    def post(self, path: str, form: dict, *, headers: dict | None = None, timestamp: int | None = None):
        body = urlencode(form).encode()
        signed = self.fake.signed(body, timestamp=timestamp)
        with self.commit(execute=True):
            return self.client.post(
                path, body, content_type="application/x-www-form-urlencoded", headers={**signed, **(headers or {})}
            )

    def card(self, ticket, headline: str = "New ticket") -> str:
        """Post the ticket's card as the sender does; returns its ts."""
        card = ticket_card(ticket, headline=headline)
        return slack.slack_post(
            channel=DEFAULT_CHANNEL, text=slack.card_text(card), attachments=slack.card_attachments(card)
        )

    def click(self, ts: str, action: str, email: str, **kwargs):
        return self.post(*self.fake.click_request(ts=ts, action_id=slack.ACTION_PREFIX + action, email=email), **kwargs)

    def command(self, text: str, email: str, **kwargs):
        return self.post(*self.fake.command_request(text=text, email=email), **kwargs)

    def told(self, email: str) -> list[str]:
        """What only this person was shown (ephemeral messages)."""
        user = self.fake.user_id(email)
        return [m.text for m in self.fake.messages if m.only_for == user]

    def buttons(self, ts: str) -> list[str]:
        [message] = [m for m in self.fake.messages if m.ts == ts]
        [actions] = [b for b in message.attachments[0]["blocks"] if b["type"] == "actions"]
        return [e["text"]["text"] for e in actions["elements"]]


@pytest.fixture
def in_slack(client, fake_slack, django_capture_on_commit_callbacks) -> Slack:
    return Slack(client, fake_slack, django_capture_on_commit_callbacks)
