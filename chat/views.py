"""Slack's two request URLs: interactivity (button clicks) and the /supportdesk slash command. Both are signed by
Slack (chat/signatures.py) and answered at once: Slack gives up after three seconds, so what may be slow (redrawing
the message, telling the person) is the worker's."""

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse

from notifications import slack
from supportdesk.errors import DomainError

from . import services
from .signatures import slack_signed

log = logging.getLogger(__name__)


def _bad(text: str) -> HttpResponse:
    return HttpResponse(text, status=400, content_type="text/plain")


@slack_signed
def interactivity(request: HttpRequest) -> HttpResponse:
    """A click on one of a ticket card's buttons: act as the person, redraw the card; tell them if refused."""
    try:
        payload = json.loads(request.POST["payload"])
        kind = payload["type"]
    except (KeyError, TypeError, ValueError):
        return _bad("Expected Slack's interaction payload.")
    if kind != "block_actions":
        return HttpResponse(status=200)  # nothing else is asked of this app
    try:
        action = payload["actions"][0]
        slack_user, channel = payload["user"]["id"], payload["channel"]["id"]
        message_ts = payload.get("container", {}).get("message_ts") or payload["message"]["ts"]
        key = payload.get("trigger_id") or f"{slack_user}:{action['action_ts']}"
        action_id, reference_text = str(action["action_id"]), str(action.get("value", ""))
    except (KeyError, IndexError, TypeError):
        return _bad("The interaction payload lacks the action, user, channel or message.")
    name = action_id.removeprefix(slack.ACTION_PREFIX)
    if not action_id.startswith(slack.ACTION_PREFIX) or name == slack.OPEN:
        return HttpResponse(status=200)  # the link button opens the portal by itself
    try:
        user = services.slack_user_portal(slack_user_id=slack_user)
        services.slack_ticket_act(
            user=user,
            reference_text=reference_text,
            action=name,
            request_key=f"action:{key}",
            message=(channel, message_ts),
        )
    except DomainError as exc:
        services.slack_tell_later(channel=channel, user=slack_user, text=str(exc))
    return HttpResponse(status=200)


def _say(text: str) -> JsonResponse:
    return JsonResponse({"response_type": "ephemeral", "text": text})


@slack_signed
def command(request: HttpRequest) -> HttpResponse:
    """/supportdesk who | file <title> | ack SD-123 | help: answered to the person only."""
    text, slack_user = request.POST.get("text", ""), request.POST.get("user_id", "")
    trigger = request.POST.get("trigger_id", "")
    if not slack_user or not trigger:
        return _bad("Expected Slack's slash command fields (user_id, trigger_id).")
    verb, _, rest = text.strip().partition(" ")
    verb = verb.lower()
    if verb in ("", "help"):
        return _say(services.HELP)
    if verb not in ("who", "file", "ack", "acknowledge"):
        return _say(f"“{slack.escaped(verb)}” is not a Supportdesk command.\n{services.HELP}")
    key = f"command:{trigger}"
    try:
        user = services.slack_user_portal(slack_user_id=slack_user)
        if verb == "who":
            return _say(services.slack_oncall_text(user=user))
        if verb == "file":
            ticket = services.slack_ticket_file(user=user, title=rest, request_key=key)
            return _say(f"Filed {services.ticket_line(ticket)}") if ticket else HttpResponse(status=200)
        reference_text = next(iter(rest.split()), "").upper()  # the first word: "ack SD-12 on it" is SD-12
        if not reference_text:
            return _say("Which ticket? /supportdesk ack SD-123")
        done = services.slack_ticket_act(
            user=user, reference_text=reference_text, action=slack.ACKNOWLEDGE, request_key=key
        )
        return _say(f"Acknowledged {services.ticket_line(done)}") if done else HttpResponse(status=200)
    except DomainError as exc:
        return _say(str(exc))
