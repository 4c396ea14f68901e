"""The sandbox's phone (``/phone/``): every text and call the SMS and voice API accepted, one phone per number.

A developer tool, but message text is untrusted: everything is escaped, only http(s) links become links, and the
page allows no inline script or style (its Content-Security-Policy says so). A phone can opt out (as replying STOP
would) and opt in again; the month's spend so far can be set, to see the limit refuse. ``/phone/messages.json``
gives the same messages to tests; the page reloads itself when they change (static/phone.js).
"""

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .smsvoice import ORIGINATION_NUMBER, TEXT, VOICE, Message, Phone, SmsVoice, Spend

PREFIX = "/phone"
_STATIC = Path(__file__).parent / "static"
_ASSETS = {"phone.css": "text/css; charset=utf-8", "phone.js": "text/javascript; charset=utf-8"}
_LINK = re.compile(r"https?://[^\s<>\"']+")
_NUMBER = re.compile(r"\+?[1-9][0-9]{1,18}")
_CHANNELS = {TEXT: "Text messages", VOICE: "Calls"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # the buttons post with an Origin to check; a link opened tells nothing
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def wanted(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def get(sms: SmsVoice, path: str, query: str, *, now: datetime) -> Answer:
    params = dict(parse_qsl(query))
    number = params.get("to") or None
    if path == PREFIX:
        return _redirect(f"{PREFIX}/")
    if path == f"{PREFIX}/":
        return _html(200, _page(sms, number, now))
    if path == f"{PREFIX}/messages.json":
        return _json({"version": sms.version, "messages": [_json_message(m) for m in sms.received(number)]})
    if path == f"{PREFIX}/version.json":
        return _json({"version": sms.version})
    asset = path.removeprefix(f"{PREFIX}/static/")
    if asset in _ASSETS:
        return Answer(200, _ASSETS[asset], (_STATIC / asset).read_bytes(), dict(_SECURITY_HEADERS))
    return _html(404, _document("Not found", "<p>Nothing here. <a href='/phone/'>The phones</a>.</p>", 0))


def post(sms: SmsVoice, path: str, body: bytes, headers: Any, *, now: datetime) -> Answer:
    """A button of the page; answered with a redirect back to it (or a short page saying what was wrong)."""
    if _cross_site(headers):
        return _html(403, _document("Refused", "<p>The phone's buttons work from the phone page only.</p>", 0))
    form = dict(parse_qsl(body.decode(errors="replace")))
    back = f"{PREFIX}/" + (f"?{urlencode({'to': form['to']})}" if form.get("to") else "")
    action = path.removeprefix(f"{PREFIX}/")
    if action in ("opt-out", "opt-in"):
        number = form.get("number", "")
        if not _NUMBER.fullmatch(number):
            return _refused(f"{number!r} is not a phone number.", back)
        if action == "opt-out":
            sms.opt_out(number, now=now, by_end_user=True)
        else:
            sms.opt_in(number)
        return _redirect(back)
    if action == "spend":
        channel = form.get("channel", "")
        try:
            amount = Decimal(form.get("amount", ""))
        except InvalidOperation:
            amount = Decimal(-1)
        if channel not in _CHANNELS or not amount.is_finite() or not 0 <= amount <= 1_000_000:
            return _refused("Give the month's spend so far in dollars, from 0 to 1,000,000.", back)
        sms.set_spent(channel, amount.quantize(Decimal("0.00001")), now=now)
        return _redirect(back)
    return _html(404, _document("Not found", "<p>No such button.</p>", 0))


def _cross_site(headers: Any) -> bool:
    # Another site's page must not press the buttons: browsers say where a form came from
    origin, host = headers.get("Origin"), headers.get("Host", "")
    return headers.get("Sec-Fetch-Site") in ("cross-site", "same-site") or (
        origin is not None and origin != f"http://{host}"
    )


def _urls(text: str) -> Iterator[tuple[int, str]]:
    """Where each http(s) address starts, and the address, without the punctuation a sentence puts after it."""
    for found in _LINK.finditer(text):
        yield found.start(), found.group().rstrip(".,;:!?)]}")


def linked(text: str) -> str:
    """The text escaped, its http(s) addresses as links (the one-tap acknowledge links); nothing else is markup."""
    out, last = [], 0
    for start, url in _urls(text):
        out.append(html.escape(text[last:start]))
        out.append(f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(url)}</a>')
        last = start + len(url)
    out.append(html.escape(text[last:]))
    return "".join(out)


def _when(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f'<time datetime="{utc.isoformat()}">{utc:%H:%M:%S} UTC, {utc.day} {utc:%b %Y}</time>'


def _message(message: Message) -> str:
    e = html.escape
    if message.channel == VOICE:
        kind, css = f"Call, voice {message.voice.title()}", "call"
    else:
        kind, css = "SMS", "sms"
    ssml = f"<details><summary>SSML as sent</summary><pre>{e(message.body)}</pre></details>" if message.ssml else ""
    return (
        f'<li class="message {css}" data-message-id="{e(message.id)}">'
        f'<p class="meta"><span class="kind">{e(kind)}</span> from <span class="from">{e(message.origination)}</span>'
        f" · {_when(message.sent)}</p>"
        f'<p class="text">{linked(message.spoken)}</p>{ssml}</li>'
    )


def _phone(phone: Phone, filtered: bool) -> str:
    e, number = html.escape, phone.number
    hidden = f'<input type="hidden" name="number" value="{e(number)}">' + (
        f'<input type="hidden" name="to" value="{e(number)}">' if filtered else ""
    )
    if phone.opted_out:
        how = "replied STOP" if phone.opted_out.by_end_user else "put on the opt-out list"
        status = f'<p class="opted-out">Opted out ({how}) at {_when(phone.opted_out.at)}: AWS refuses to send here.</p>'
        button = (
            f'<form method="post" action="{PREFIX}/opt-in">{hidden}<button type="submit">Opt in again</button></form>'
        )
    else:
        status = ""
        button = (
            f'<form method="post" action="{PREFIX}/opt-out">{hidden}'
            '<button type="submit">Opt out (reply STOP)</button></form>'
        )
    messages = "".join(_message(m) for m in phone.messages) or '<li class="empty">Nothing received.</li>'
    only = "" if filtered else f' <a class="only" href="{PREFIX}/?{e(urlencode({"to": number}))}">only this phone</a>'
    return (
        f'<article class="phone" data-number="{e(number)}"><header><h2>{e(number)}</h2>{only}{button}</header>'
        f'{status}<ol class="messages">{messages}</ol></article>'
    )


def _spend(spend: Spend, filtered_to: str | None) -> str:
    hidden = f'<input type="hidden" name="to" value="{html.escape(filtered_to)}">' if filtered_to else ""
    reached = spend.spent >= spend.limit
    return (
        f'<form class="spend{" reached" if reached else ""}" method="post" action="{PREFIX}/spend">'
        f'<input type="hidden" name="channel" value="{spend.channel}">{hidden}'
        f'<label for="spend-{spend.channel}">{_CHANNELS[spend.channel]}: spent this month, of the '
        f"${spend.limit} limit{' (reached: AWS refuses to send)' if reached else ''}</label> "
        f'<input id="spend-{spend.channel}" name="amount" inputmode="decimal" value="{spend.spent.normalize():f}">'
        '<button type="submit">Set</button></form>'
    )


def _page(sms: SmsVoice, number: str | None, now: datetime) -> str:
    phones = sms.phones(number)
    intro = (
        "<p class='muted'>What AWS End User Messaging would have sent, newest first: texts and calls from "
        f"{ORIGINATION_NUMBER}, the sandbox's number. This page reloads itself when something arrives.</p>"
    )
    if number:
        intro += f'<p><a href="{PREFIX}/">All phones</a></p>'
    spend = "".join(_spend(s, number) for s in sms.spend(now))
    body = "".join(_phone(p, number is not None) for p in phones) or (
        '<p class="empty">No messages yet. When the portal pages someone, their phone appears here.</p>'
    )
    content = f'{intro}<section class="spends">{spend}</section><main class="phones">{body}</main>'
    return _document("Sandbox phones", content, sms.version)


def _document(title: str, content: str, version: int) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f'<title>{title}</title><link rel="stylesheet" href="{PREFIX}/static/phone.css">'
        f'<script src="{PREFIX}/static/phone.js" defer></script></head>'
        f'<body data-version="{version}"><h1>{title}</h1>{content}</body></html>'
    )


def _json_message(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "channel": message.channel,
        "to": message.destination,
        "from": message.origination,
        "body": message.body,
        "spoken": message.spoken,
        "ssml": message.ssml,
        "voice": message.voice,
        "message_type": message.message_type,
        "context": dict(message.context),
        "links": [url for _, url in _urls(message.spoken)],
        "sent": message.sent.astimezone(UTC).isoformat(),
        "price": str(message.price),
    }


def _html(status: int, text: str) -> Answer:
    return Answer(status, "text/html; charset=utf-8", text.encode(), dict(_SECURITY_HEADERS))


def _json(payload: dict[str, Any]) -> Answer:
    return Answer(200, "application/json", json.dumps(payload).encode(), dict(_SECURITY_HEADERS))


def _redirect(location: str) -> Answer:
    return Answer(303, "text/plain; charset=utf-8", b"", {"Location": location})


def _refused(reason: str, back: str) -> Answer:
    text = f'<p class="error">{html.escape(reason)}</p><p><a href="{html.escape(back)}">Back to the phones</a></p>'
    return _html(400, _document("Not done", text, 0))
