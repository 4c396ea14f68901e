"""The sandbox's phone page: what a developer sees of the texts and calls the portal sent, and its buttons."""

import json
import urllib.parse
import urllib.request
from decimal import Decimal
from html.parser import HTMLParser
from urllib.error import HTTPError

import pytest
from botocore.exceptions import ClientError

from tools.sandbox.smsvoice import ORIGINATION_NUMBER, TEXT

PAGER = "+12025550123"
HOSTILE = (
    "<script>alert(1)</script><img src=x onerror=alert(1)> \"><a href='javascript:alert(2)'>tap</a> "
    'javascript:alert(3) https://evil.example/"onmouseover="alert(4) &amp; <style>body{display:none}</style>'
)


# Every tag the page is made of: a text that slipped markup through would add one
_FRAME_TAGS = {"html", "head", "meta", "title", "link", "script", "body", "h1", "h2", "main", "section", "article"}
_CONTENT_TAGS = {"header", "form", "input", "label", "button", "p", "a", "ol", "li", "span", "time", "pre"}
_PAGE_TAGS = _FRAME_TAGS | _CONTENT_TAGS | {"details", "summary"}


class _Page(HTMLParser):
    """The tags of a page with their attributes, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def links(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if tag == "a"]

    def said(self) -> str:
        return " ".join(" ".join(self.text).split())


def _get(live, path: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(live.url + path) as response:
            return response.status, dict(response.headers), response.read().decode()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _press(live, action: str, form: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str]:
    """A button of the page, as a browser on the page posts it; redirects followed."""
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(f"{live.url}/phone/{action}", data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def sms(live):
    return live.client("pinpoint-sms-voice-v2")


def test_the_phone_shows_a_text_with_a_link_that_works(live, sms):
    # given: a page whose text carries a one-tap link (here to the sandbox itself, so following it can be checked)
    link = f"{live.url}/phone/version.json?token=abc&person=7"
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody=f"SEV1 SD-42 checkout down. Acknowledge: {link}.")
    # when
    status, headers, text = _get(live, "/phone/")
    # then: the phone, the sender, the text and the link without the full stop after it
    page = _Page(text)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert f"{PAGER}" in page.said() and ORIGINATION_NUMBER in page.said()
    assert "SEV1 SD-42 checkout down. Acknowledge:" in page.said()
    assert link in page.links()
    with urllib.request.urlopen(link) as followed:
        assert followed.status == 200
    [message] = json.loads(_get(live, "/phone/messages.json")[2])["messages"]
    assert (message["to"], message["from"], message["links"]) == (PAGER, ORIGINATION_NUMBER, [link])


def test_newest_first_one_phone_per_number_and_calls_as_transcripts(live, sms):
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="first page")
    sms.send_voice_message(
        DestinationPhoneNumber=PAGER,
        OriginationIdentity=ORIGINATION_NUMBER,
        MessageBody="<speak>SEV1 on <emphasis>checkout</emphasis>. Press 1 to acknowledge.</speak>",
        MessageBodyTextType="SSML",
    )
    sms.send_text_message(DestinationPhoneNumber="+12025550100", MessageBody="for someone else")
    text = _get(live, "/phone/")[2]
    said = _Page(text).said()
    assert said.index("+12025550100") < said.index(PAGER)  # the phone used last comes first
    assert said.index("Press 1 to acknowledge") < said.index("first page")  # on a phone, newest first
    assert "Call, voice Joanna" in said and "SEV1 on checkout. Press 1 to acknowledge." in said
    assert "&lt;speak&gt;" in text  # the SSML as sent, shown as text
    only = _Page(_get(live, f"/phone/?to={urllib.parse.quote(PAGER)}")[2]).said()
    assert "first page" in only and "for someone else" not in only


def test_hostile_text_is_shown_as_text_never_as_markup(live, sms):
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody=HOSTILE)
    sms.send_voice_message(DestinationPhoneNumber=PAGER, OriginationIdentity=ORIGINATION_NUMBER, MessageBody=HOSTILE)
    status, headers, text = _get(live, "/phone/")
    page = _Page(text)
    assert status == 200
    assert {tag for tag, _ in page.tags} <= _PAGE_TAGS  # no <img>, <style>, <iframe>… from the text
    assert [attrs["src"] for tag, attrs in page.tags if tag == "script"] == ["/phone/static/phone.js"]
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    assert all(href.startswith(("https://", "http://", "/phone/")) for href in page.links())
    assert "https://evil.example/" in page.links()  # the address stops where the quote starts
    assert page.said().count("<script>alert(1)</script>") == 2  # shown, as text, for the text and the call
    assert (
        "script-src 'self'" in headers["Content-Security-Policy"]
        and "style-src 'self'" in headers["Content-Security-Policy"]
    )
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_opting_out_on_the_phone_stops_texts_and_calls_until_opted_in(live, sms):
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="before")
    status, text = _press(live, "opt-out", {"number": PAGER})
    assert status == 200 and "Opted out (replied STOP)" in _Page(text).said()
    with pytest.raises(ClientError) as refused:
        sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="after")
    assert refused.value.response["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"
    [listed] = sms.describe_opted_out_numbers(OptOutListName="Default")["OptedOutNumbers"]
    assert (listed["OptedOutNumber"], listed["EndUserOptedOut"]) == (PAGER, True)
    status, text = _press(live, "opt-in", {"number": PAGER, "to": PAGER})
    assert status == 200 and "Opted out" not in _Page(text).said()
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="after opting in")


def test_setting_the_month_s_spend_shows_the_limit_refusing(live, sms):
    status, text = _press(live, "spend", {"channel": TEXT, "amount": "1"})
    assert status == 200
    assert any(tag == "form" and attrs["class"] == "spend reached" for tag, attrs in _Page(text).tags)
    assert live.sandbox.sms_voice.spend(live.now)[0].spent == Decimal(1)
    with pytest.raises(ClientError) as refused:
        sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV1")
    assert refused.value.response["Reason"] == "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"


@pytest.mark.parametrize(
    ("action", "form", "status"),
    [
        ("spend", {"channel": TEXT, "amount": "lots"}, 400),
        ("spend", {"channel": TEXT, "amount": "-1"}, 400),
        ("spend", {"channel": TEXT, "amount": "NaN"}, 400),
        ("spend", {"channel": "FAX", "amount": "1"}, 400),
        ("opt-out", {"number": "<b>not a number</b>"}, 400),
        ("reboot", {}, 404),
    ],
)
def test_a_wrong_form_is_told_not_a_server_error(live, action, form, status):
    answer, text = _press(live, action, form)
    assert answer == status
    assert "<b>" not in text


def test_another_site_cannot_press_the_buttons(live):
    status, _ = _press(live, "opt-out", {"number": PAGER}, {"Origin": "https://evil.example"})
    assert status == 403
    assert _press(live, "opt-out", {"number": PAGER}, {"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert live.sandbox.sms_voice.phones() == []


def test_assets_and_unknown_paths(live):
    assert _get(live, "/phone")[0] == 200  # redirected to /phone/
    status, headers, script = _get(live, "/phone/static/phone.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and "version.json" in script
    assert _get(live, "/phone/static/phone.css")[1]["Content-Type"].startswith("text/css")
    assert _get(live, "/phone/static/../smsvoice.py")[0] == 404
    assert _get(live, "/phone/nothing")[0] == 404
    assert json.loads(_get(live, "/phone/version.json")[2]) == {"version": 0}
