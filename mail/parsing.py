"""A raw message read into what the portal needs of it: who, what, the new text (quoted history and signature cut),
its files, and whether a machine sent it. Pure: no database, no settings."""

import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"})
_HIDDEN = frozenset({"script", "style", "head", "title"})
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)  # RFC 3676's signature separator
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_BULK = frozenset({"bulk", "junk", "list"})


@dataclass(frozen=True)
class Attached:
    filename: str
    content: bytes


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    sender: str  # the From address, lower case; "" when there is none
    sender_name: str
    subject: str
    text: str  # the new part only
    thread_ids: list[str]  # In-Reply-To first, then References from the newest
    attachments: list[Attached] = field(default_factory=list)
    automatic: str = ""  # why it is a machine's mail (an auto-reply, a list, a bounce), or ""


class _TextOfHtml(HTMLParser):
    """HTML as plain text: tags dropped, blocks on their own lines, scripts and styles unread. Never rendered."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"\s+", " ", data))  # spaces between inline tags kept


def html_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decoded(part: MIMEPart) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset: keep what can be read
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload or "")


def _body_text(message: EmailMessage) -> tuple[str, MIMEPart | None]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", None
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_text(text)
    return text.replace("\r\n", "\n"), part


def signature_cut(text: str) -> str:
    """The text above a "-- " signature separator (RFC 3676)."""
    return _SIGNATURE.split(text, maxsplit=1)[0].strip()


def reply_text(text: str) -> str:
    """The new part of a reply: quoted history (Gmail, Outlook, "> " lines) and a "-- " signature cut."""
    latest = signature_cut(EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text) or text)
    kept = [line for line in latest.splitlines() if not line.startswith(">")]
    return "\n".join(kept).strip()


def _attachments(message: EmailMessage, body: MIMEPart | None) -> list[Attached]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body or part.get_content_maintype() == "message":
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not filename:
            continue  # an alternative body, a delivery report's parts
        if disposition != "attachment" and part.get_content_maintype() == "image" and part["Content-ID"]:
            continue  # an image the HTML shows inline: a logo or a signature
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            found.append(Attached(filename=filename or "attachment", content=content))
    return found


def _automatic(message: EmailMessage, sender: str) -> str:
    """Why a machine sent it, by the signs RFC 3834 and the big mail systems use; "" for a person's mail."""
    report = message.get_content_type() == "multipart/report"
    if report and str(message.get_param("report-type") or "").lower() == "delivery-status":
        return "a bounce (a delivery status notification)"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "a bounce (an empty return path)"
    if sender.split("@")[0] in _BOUNCE_SENDERS:
        return f"a bounce (from {sender})"
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"an automatic reply (Auto-Submitted: {auto[:40]})"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _BULK:
        return f"bulk mail (Precedence: {precedence})"
    if message.get("X-Auto-Response-Suppress") or message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "an automatic reply (its headers say so)"
    if message.get("List-Id"):
        return "mailing-list mail (List-Id)"
    return ""


def _ids(value: object) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def _from(message: EmailMessage) -> Address | None:
    header = message.get("From")
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    return addresses[0] if addresses else None


def email_parse(raw: bytes, *, headers_only: bool = False) -> ParsedEmail:
    """Reads anything: a defect in the message shows as missing parts, not an exception (the stdlib is lenient).
    ``headers_only``: raw is only the headers (a message too large to take)."""
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=headers_only)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage
    address = _from(message)
    sender = address.addr_spec.lower() if address is not None and "@" in address.addr_spec else ""
    text, body = ("", None) if headers_only else _body_text(message)
    thread_ids = _ids(message.get("In-Reply-To")) + list(reversed(_ids(message.get("References"))))
    return ParsedEmail(
        message_id=next(iter(_ids(message.get("Message-ID"))), ""),
        sender=sender,
        sender_name=address.display_name if address is not None else "",
        subject=" ".join(str(message.get("Subject", "")).split()),
        text=text,
        thread_ids=list(dict.fromkeys(thread_ids)),
        attachments=[] if headers_only else _attachments(message, body),
        automatic=_automatic(message, sender),
    )
