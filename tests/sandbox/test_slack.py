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
