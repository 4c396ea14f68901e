"""The sandbox's fake Slack, behind the same port as its AWS: the Web API calls Supportdesk makes, and the chat view
whose buttons post back to it."""

import urllib.request
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


@pytest.fixture
def slack_api(live):
    return WebClient(token=live.sandbox.slack.token, base_url=f"{live.url}/slack/api/")


def test_the_web_api_supportdesk_calls(live, slack_api):
    fake = live.sandbox.slack
    assert slack_api.auth_test()["ok"]
    card = [
        {
            "color": "#d00000",
            "blocks": [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "a",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "value": "SD-1",
                        }
                    ],
                }
            ],
        }
    ]
    ts = slack_api.chat_postMessage(channel="C0SANDBOX1", text="[SD-1 SEV1] New ticket", attachments=card)["ts"]
    slack_api.chat_update(channel="C0SANDBOX1", ts=ts, text="[SD-1 SEV1] Acknowledged", attachments=card)
    assert [(m.channel, m.text) for m in fake.messages] == [("C0SANDBOX1", "[SD-1 SEV1] Acknowledged")]
    user = fake.user_id("agent@example.com")
    assert slack_api.users_info(user=user)["user"]["profile"]["email"] == "agent@example.com"
    with pytest.raises(SlackApiError, match="user_not_found"):
        slack_api.users_info(user="U0NOBODY00")


def test_a_wrong_token_is_refused(live):
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=f"{live.url}/slack/api/").auth_test()


def test_the_chat_view_shows_cards_with_their_buttons_and_the_command_box(live, slack_api):
    card = [
        {
            "color": "#d00000",
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "*<http://portal/tickets/SD-1/|SD-1 · Disk &lt;full&gt;>*"},
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "ticket_acknowledge",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "value": "SD-1",
                        }
                    ],
                },
            ],
        }
    ]
    slack_api.chat_postMessage(channel="C0SANDBOX1", text="[SD-1 SEV1] New ticket", attachments=card)
    with urllib.request.urlopen(f"{live.url}/slack/?{urlencode({'email': 'jo@example.com'})}") as response:
        page = response.read().decode()
    assert '<a href="http://portal/tickets/SD-1/">SD-1 · Disk &lt;full&gt;</a>' in page
    assert 'name="action_id" value="ticket_acknowledge"' in page and "<button>Acknowledge</button>" in page
    assert 'value="jo@example.com"' in page and 'action="/slack/command"' in page


def test_users_lookup_by_email_finds_everyone_under_the_id_the_fake_gives_them(live, slack_api):
    fake = live.sandbox.slack
    fake.unknown_emails.add("left@example.com")

    user = slack_api.users_lookupByEmail(email="Jo@example.com")["user"]

    assert (user["id"], user["profile"]["email"], user["is_bot"]) == (
        fake.user_id("jo@example.com"),
        "Jo@example.com",
        False,
    )
    assert slack_api.users_info(user=user["id"])["ok"]  # known from now on
    with pytest.raises(SlackApiError, match="users_not_found"):
        slack_api.users_lookupByEmail(email="left@example.com")


def test_a_dm_goes_to_a_member_id_and_only_they_see_it(live, slack_api):
    fake = live.sandbox.slack
    jo = fake.user_id("jo@example.com")
    slack_api.chat_postMessage(channel=jo, text="Your Supportdesk code is 123456.")
    fake.unknown_channels.add("U0LEFT0000")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        slack_api.chat_postMessage(channel="U0LEFT0000", text="Anyone there?")

    def view(email: str) -> str:
        with urllib.request.urlopen(f"{live.url}/slack/?{urlencode({'email': email})}") as response:
            return response.read().decode()

    assert [m.text for m in fake.direct_messages("jo@example.com")] == ["Your Supportdesk code is 123456."]
    assert "Direct message" in view("jo@example.com") and "123456" in view("jo@example.com")
    assert "123456" not in view("agent@example.com")


def test_thread_replies_show_under_their_card(live, slack_api):
    fake = live.sandbox.slack
    ts = slack_api.chat_postMessage(channel="C0SANDBOX1", text="[SD-2 SEV2] New ticket")["ts"]
    slack_api.chat_postMessage(channel="C0SANDBOX1", text="Escalated (level 1)", thread_ts=ts)
    with pytest.raises(SlackApiError, match="thread_not_found"):
        slack_api.chat_postMessage(channel="C0SANDBOX1", text="lost", thread_ts="1.999999")
    [card] = fake.cards("C0SANDBOX1")
    assert [r.text for r in fake.replies(card)] == ["Escalated (level 1)"]
    with urllib.request.urlopen(f"{live.url}/slack/") as response:
        page = response.read().decode()
    card_at, thread_at = page.index("New ticket"), page.index('<ol class="thread" aria-label="Thread">')
    assert card_at < thread_at < page.index("Escalated (level 1)")
    assert page.count("Escalated (level 1)") == 1  # shown in the thread only, not as a message of its own
    fake.delete(card)
    with pytest.raises(SlackApiError, match="message_not_found"):
        slack_api.chat_update(channel="C0SANDBOX1", ts=ts, text="gone")
