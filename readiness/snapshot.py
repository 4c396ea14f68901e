"""The incident's public timeline as plain rows (when, who, what), copied into its post-incident review.

A copy, not a link: the review keeps what was known when it opened, whatever later happens to the ticket."""

from tickets.models import Ticket, TicketEvent

E = TicketEvent.Kind
MAX_EVENTS = 300  # a runaway timeline (an AWS event updated every poll) must not bloat the review
TEXT_LIMIT = 500


def _short(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"


def _what(event: TicketEvent) -> str:
    d = event.data
    match event.kind:
        case E.CREATED:
            return f"Filed as {d.get('severity', '?')} in {d.get('queue', '?')}"
        case E.STATUS_CHANGED:
            note = f": {_short(d['note'])}" if d.get("note") else ""
            return f"Status {d.get('before')} → {d.get('after')}{note}"
        case E.ASSIGNED:
            return f"Assigned to {d.get('after')}"
        case E.FIELD_CHANGED:
            return f"{d.get('label', 'Field')} {d.get('before') or '—'} → {d.get('after') or '—'}"
        case E.COMMENTED:
            return f"Commented: {_short(event.comment.body) if event.comment else ''}"
        case E.ESCALATED:
            to = f" to {d['to']}" if d.get("to") else ""
            return f"Escalated{to} (level {d.get('level')}): {_short(d.get('reason', ''))}"
        case E.AWS_UPDATED | E.AWS_CASE:
            return _short(f"{d.get('source', 'AWS Support case')}: {d.get('summary', '')}")
        case _:
            return event.get_kind_display()


def incident_timeline(ticket: Ticket) -> list[dict]:
    events = (
        TicketEvent.objects.filter(ticket_id=ticket.pk, is_internal=False)
        .select_related("actor", "comment")
        .order_by("id")[:MAX_EVENTS]
    )
    return [
        {"at": e.created_at.isoformat(), "who": e.actor.display_name if e.actor else "Supportdesk", "what": _what(e)}
        for e in events
    ]
