"""A fake Slack for `make run` and the tests: the Web API methods Supportdesk calls (chat.postMessage, to a channel or
to a person's member ID as a DM, chat.update, chat.postEphemeral, users.info, users.lookupByEmail, and auth.test), and
a chat view at /slack/ that shows the messages (a DM only to its person) with working buttons and a /supportdesk box.

A click or a command is sent to the portal the way Slack sends it: form-encoded, signed with the signing secret from
this process's environment (SLACK_SIGNING_SECRET; the portal reads the same variable), to SANDBOX_PORTAL_URL. Like
the rest of the sandbox it imports nothing of the portal. Who clicks is an email address typed in the view: the
fake gives each address a Slack user id and answers users.info with it.
"""

import contextlib
import hashlib
import hmac
import html
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

PREFIX = "/slack/"
API = "/slack/api/"
DEFAULT_EMAIL = "agent@example.com"  # the demo's agent, on call for the service desk
DEFAULT_CHANNEL = "C0SANDBOX1"
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    attachments: list[dict[str, Any]]
    only_for: str = ""  # an ephemeral message's user
    thread_ts: str = ""  # a reply's: the ts of the message it answers, shown under it


@dataclass
class FakeSlack:
    """The workspace's state and the knobs tests turn."""

    token: str = "xoxb-sandbox"
    signing_secret: str = ""
    portal_url: str = "http://127.0.0.1:8000"
    messages: list[Message] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)  # Slack user id -> email
    unknown_channels: set[str] = field(default_factory=set)  # channels, or member IDs refused as DM targets
    unknown_emails: set[str] = field(default_factory=set)  # addresses users.lookupByEmail finds nobody for
    fail_next: list[tuple[int, str]] = field(default_factory=list)  # (HTTP status, error) for the next calls
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clock: int = 0

    @classmethod
    def from_environment(cls) -> "FakeSlack":
        return cls(
            token=os.environ.get("SLACK_BOT_TOKEN", "xoxb-sandbox"),
            signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
            portal_url=os.environ.get("SANDBOX_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/"),
        )

    def user_id(self, email: str) -> str:
        """The Slack user id of an address: the same every time."""
        user = "U" + hashlib.sha1(email.lower().encode()).hexdigest()[:10].upper()
        self.emails[user] = email
        return user

    def _ts(self) -> str:
        with self._lock:
            self._clock += 1
            return f"{int(time.time())}.{self._clock:06d}"

    # The Web API ---------------------------------------------------------------------------------------------------

    def api(self, method: str, params: dict[str, Any], authorization: str) -> tuple[int, dict[str, Any]]:
        self.calls.append((method, params))
        if self.fail_next:
            status, error = self.fail_next.pop(0)
            return status, {"ok": False, "error": error}
        if authorization != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth" if authorization else "not_authed"}
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return 404, {"ok": False, "error": "unknown_method"}
        return 200, answer(params)

    def _auth_test(self, params: dict) -> dict:
        return {"ok": True, "team": "Sandbox", "user": "supportdesk", "team_id": "T0SANDBOX", "bot_id": "B0SANDBOX"}

    def _chat_postMessage(self, params: dict) -> dict:
        channel = params.get("channel", "")
        if not channel or channel in self.unknown_channels:
            return {"ok": False, "error": "channel_not_found"}
        thread = params.get("thread_ts") or ""
        if thread and not any(m.channel == channel and m.ts == thread for m in self.messages):
            return {"ok": False, "error": "thread_not_found"}
        message = Message(channel, self._ts(), params.get("text", ""), _listed(params.get("attachments")))
        message.thread_ts = thread
        self.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message.ts, "message": {"text": message.text}}

    def _chat_update(self, params: dict) -> dict:
        for message in self.messages:
            if message.channel == params.get("channel") and message.ts == params.get("ts"):
                message.text = params.get("text", message.text)
                message.attachments = _listed(params.get("attachments"))
                return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def _chat_postEphemeral(self, params: dict) -> dict:
        message = Message(params.get("channel", ""), self._ts(), params.get("text", ""), [], params.get("user", ""))
        self.messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    def _users_info(self, params: dict) -> dict:
        user = params.get("user", "")
        email = self.emails.get(user)
        if email is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": _member(user, email)}

    def _users_lookupByEmail(self, params: dict) -> dict:
        """Everyone is in the sandbox's workspace, under the id user_id() gives their address, but unknown_emails."""
        email = params.get("email", "")
        if "@" not in email or email.lower() in {e.lower() for e in self.unknown_emails}:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": _member(self.user_id(email), email)}

    def cards(self, channel: str) -> list[Message]:
        """The messages in a channel (or DM) itself, oldest first: not replies in threads, not ephemeral ones."""
        return [m for m in self.messages if m.channel == channel and not m.thread_ts and not m.only_for]

    def replies(self, message: Message) -> list[Message]:
        """The replies in a message's thread, oldest first."""
        return [m for m in self.messages if m.channel == message.channel and m.thread_ts == message.ts]

    def delete(self, message: Message) -> None:
        """Someone deletes a message in Slack (its thread goes with it)."""
        self.messages = [m for m in self.messages if m is not message and m.thread_ts != message.ts]

    def direct_messages(self, email: str) -> list[Message]:
        """What the app sent this person as DMs, oldest first."""
        return [m for m in self.messages if m.channel == self.user_id(email) and not m.only_for and not m.thread_ts]

    # What Slack sends the portal -------------------------------------------------------------------------------------

    def signed(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """Slack's headers for a request body: v0 HMAC-SHA256 of v0:<timestamp>:<body>."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(self.signing_secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}

    def click(self, *, ts: str, action_id: str, email: str) -> tuple[int, str]:
        """A click on a message's button, sent to the portal as a signed block_actions payload."""
        return self._send(*self.click_request(ts=ts, action_id=action_id, email=email))

    def click_request(self, *, ts: str, action_id: str, email: str) -> tuple[str, dict[str, str]]:
        """The portal path and form Slack sends for a click on a message's button."""
        message = next(m for m in self.messages if m.ts == ts)
        button = next(b for b in _buttons(message) if b.get("action_id") == action_id)
        user = self.user_id(email)
        payload = {
            "type": "block_actions",
            "trigger_id": f"{self._ts()}.sandbox",
            "team": {"id": "T0SANDBOX", "domain": "sandbox"},
            "user": {"id": user, "username": email.split("@")[0], "team_id": "T0SANDBOX"},
            "channel": {"id": message.channel, "name": "supportdesk"},
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel},
            "message": {"ts": message.ts, "text": message.text},
            "response_url": f"{self.portal_url}/",  # unused: the portal redraws with chat.update
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "actions",
                    "value": button.get("value", ""),
                    "action_ts": self._ts(),
                }
            ],
        }
        return "/slack/interactivity/", {"payload": json.dumps(payload)}

    def command(self, *, text: str, email: str, channel: str = DEFAULT_CHANNEL) -> tuple[int, str]:
        """/supportdesk <text>, sent to the portal; its answer is shown to this person only."""
        status, answer = self._send(*self.command_request(text=text, email=email, channel=channel))
        said = answer
        with contextlib.suppress(ValueError, AttributeError):  # a JSON answer says its text; an error is shown whole
            said = json.loads(answer).get("text", answer)
        if said:
            user = self.user_id(email)
            self._chat_postEphemeral({"channel": channel, "user": user, "text": f"/supportdesk {text}\n{said}"})
        return status, answer

    def command_request(self, *, text: str, email: str, channel: str = DEFAULT_CHANNEL) -> tuple[str, dict[str, str]]:
        """The portal path and form Slack sends for /supportdesk <text>."""
        user = self.user_id(email)
        form = {
            "command": "/supportdesk",
            "text": text,
            "user_id": user,
            "user_name": email.split("@")[0],
            "channel_id": channel,
            "team_id": "T0SANDBOX",
            "trigger_id": f"{self._ts()}.sandbox",
            "response_url": f"{self.portal_url}/",
        }
        return "/slack/commands/", form

    def _send(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self.signed(body)}
        request = urllib.request.Request(self.portal_url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except OSError as error:
            return 0, f"The portal could not be reached at {self.portal_url}: {error}"


def _member(user: str, email: str) -> dict[str, Any]:
    name = email.split("@")[0].title()
    profile = {"email": email, "real_name": name}
    return {"id": user, "name": name, "is_bot": False, "is_email_confirmed": True, "profile": profile}


def _is_member(channel: str) -> bool:
    """A DM's target: a member ID (U…, W…) rather than a channel."""
    return channel[:1] in ("U", "W")


def _listed(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):  # form-encoded calls send JSON in a string
        value = json.loads(value or "[]")
    return list(value or [])


def _buttons(message: Message) -> list[dict[str, Any]]:
    return [
        element
        for attachment in message.attachments
        for block in attachment.get("blocks", [])
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


# HTTP ----------------------------------------------------------------------------------------------------------------


def answer(handler: BaseHTTPRequestHandler, fake: FakeSlack) -> None:
    """Answer a request under /slack/ on the sandbox's handler (or the tests' server)."""
    url = urlsplit(handler.path)
    body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) if handler.command == "POST" else b""
    if url.path.startswith(API):
        params: dict[str, Any] = dict(parse_qsl(url.query))
        if body and "json" in handler.headers.get("Content-Type", ""):
            params |= json.loads(body)
        elif body:
            params |= dict(parse_qsl(body.decode()))
        status, payload = fake.api(url.path.removeprefix(API), params, handler.headers.get("Authorization", ""))
        _send(handler, status, "application/json; charset=utf-8", json.dumps(payload).encode())
        return
    if handler.command == "POST":
        form = dict(parse_qsl(body.decode()))
        email = form.get("email") or DEFAULT_EMAIL
        if url.path == PREFIX + "click":
            with contextlib.suppress(StopIteration):  # a message or button gone since the page was drawn
                fake.click(ts=form.get("ts", ""), action_id=form.get("action_id", ""), email=email)
        elif url.path == PREFIX + "command":
            fake.command(text=form.get("text", ""), email=email)
        handler.send_response(303)
        handler.send_header("Location", PREFIX + "?" + urlencode({"email": email}))
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    email = dict(parse_qsl(url.query)).get("email") or DEFAULT_EMAIL
    _send(handler, 200, "text/html; charset=utf-8", chat_view(fake, email=email).encode())


def _send(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _mrkdwn(text: str) -> str:
    """Enough of Slack's mrkdwn for the view: links and bold."""
    out, last = [], 0
    for link in _LINK.finditer(text):
        out += [
            _plain(text[last : link.start()]),
            f'<a href="{html.escape(html.unescape(link[1]))}">{_plain(link[2])}</a>',
        ]
        last = link.end()
    return "".join([*out, _plain(text[last:])])


def _plain(text: str) -> str:
    shown = html.escape(html.unescape(text), quote=False)
    return re.sub(r"\*([^*\n]+)\*", r"<strong>\1</strong>", shown).replace("*", "").replace("\n", "<br>")


def chat_view(fake: FakeSlack, *, email: str) -> str:
    """The messages, newest first, with their buttons; a click posts back here and on to the portal."""
    who, me = html.escape(email), fake.user_id(email)
    rows = []
    for message in reversed(fake.messages):
        if message.thread_ts:
            continue  # shown under the message it answers
        if message.only_for and fake.emails.get(message.only_for, "").lower() != email.lower():
            continue
        if _is_member(message.channel) and message.channel != me:
            continue  # someone else's DM
        where = "Direct message" if _is_member(message.channel) else f"#{html.escape(message.channel)}"
        parts = [f'<p class="meta">{where} · {html.escape(message.ts)}']
        parts.append(" · only visible to you</p>" if message.only_for else "</p>")
        if not message.attachments:
            parts.append(f"<p>{_mrkdwn(message.text)}</p>")
        for attachment in message.attachments:
            colour = html.escape(attachment.get("color", "#999999"))
            parts.append(f'<div class="card" data-colour="{colour}"><span class="bar">{colour}</span>')
            for block in attachment.get("blocks", []):
                if block.get("type") == "section" and "text" in block:
                    parts.append(f"<p>{_mrkdwn(block['text']['text'])}</p>")
                if block.get("type") == "section" and "fields" in block:
                    facts = "".join(f"<li>{_mrkdwn(f['text'])}</li>" for f in block["fields"])
                    parts.append(f'<ul class="facts">{facts}</ul>')
            for button in _buttons(message):
                label = html.escape(button["text"]["text"])
                if "url" in button:
                    parts.append(f'<a class="button" href="{html.escape(button["url"])}">{label}</a>')
                    continue
                parts.append(
                    f'<form method="post" action="{PREFIX}click"><input type="hidden" name="ts" value="{message.ts}">'
                    f'<input type="hidden" name="action_id" value="{html.escape(button["action_id"])}">'
                    f'<input type="hidden" name="email" value="{who}"><button>{label}</button></form>'
                )
            parts.append("</div>")
        if replies := fake.replies(message):
            said = "".join(f'<li><span class="meta">{html.escape(r.ts)}</span> {_mrkdwn(r.text)}</li>' for r in replies)
            parts.append(f'<ol class="thread" aria-label="Thread">{said}</ol>')
        rows.append(f'<li class="message">{"".join(parts)}</li>')
    listed = "".join(rows) or "<li>No messages yet: file a ticket in a queue with a Slack channel.</li>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox Slack</title>
<style>body{{font:15px system-ui;margin:2rem auto;max-width:46rem}} .message{{list-style:none;border-top:1px solid #ddd;
padding:.6rem 0}} .meta{{color:#555;font-size:13px;margin:0}} .card{{border-left:4px solid #888;padding-left:.7rem}}
.bar{{display:none}} .thread{{border-left:2px solid #ddd;margin:.4rem 0 0 .7rem;padding-left:.7rem}}
.facts{{display:flex;gap:1.2rem;list-style:none;padding:0}} form{{display:inline}}
button,.button{{margin:.2rem .3rem .2rem 0;padding:.3rem .7rem}}</style></head>
<body><h1>Sandbox Slack</h1>
<p>What Supportdesk posted to Slack. The buttons and the command are sent to {html.escape(fake.portal_url)} as
Slack sends them, signed, as the person below.</p>
<form method="get" action="{PREFIX}"><label>You are <input name="email" value="{who}" size="28"></label>
<button>Switch</button></form>
<form method="post" action="{PREFIX}command"><input type="hidden" name="email" value="{who}">
<label>/supportdesk <input name="text" placeholder="who · file &lt;title&gt; · ack SD-1 · help" size="36"></label>
<button>Send</button></form>
<ol>{listed}</ol></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:
        answer(self, self.server.fake)

    def do_POST(self) -> None:
        answer(self, self.server.fake)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


def serve(fake: FakeSlack, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """The fake Slack on its own (for tests): call serve_forever() in a thread, shutdown() to stop."""
    server = _Server((host, port), _Handler)
    server.fake = fake
    return server
