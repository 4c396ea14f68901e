"""COPY lines for tickets and what hangs off them: events, comments, watches, tags."""

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from tickets.models import Ticket, TicketEvent

from .reference import RANDOM_SEED, SEVERITY_SHARE, SPAN, Queue, Reference, Severity
from .vocabulary import COMMENTS, ESCALATION_REASONS, RESOLUTION_NOTES, SENTENCES, SERVICES, TITLES

S = Ticket.Status
E = TicketEvent.Kind

KIND_SHARE = {
    Ticket.Kind.INCIDENT: 35,
    Ticket.Kind.SERVICE_REQUEST: 25,
    Ticket.Kind.IT_REQUEST: 15,
    Ticket.Kind.AWS_FINDING: 12,
    Ticket.Kind.AWS_HEALTH: 8,
    Ticket.Kind.READINESS_ACTION: 5,
}
ENVIRONMENT_SHARE = {
    Ticket.Environment.PRODUCTION: 50,
    Ticket.Environment.STAGING: 20,
    Ticket.Environment.DEVELOPMENT: 15,
    "": 15,
}
# Recent tickets are mostly still open; older open ones are the backlog. Overall about 20% open.
RECENT = timedelta(days=60).total_seconds()
OPEN_SHARE_RECENT, OPEN_SHARE_OLDER = 0.70, 0.155
OPEN_MIX = {S.NEW: 20, S.ACKNOWLEDGED: 15, S.IN_PROGRESS: 35, S.WAITING_REQUESTER: 15, S.WAITING_AWS: 15}
AUTO_CLOSE = timedelta(days=7).total_seconds()  # settings.TICKET_AUTO_CLOSE_AFTER_DAYS
COMMENT_SHARE: dict[str, float] = {
    S.ACKNOWLEDGED: 0.6,
    S.RESOLVED: 0.5,
    S.CLOSED: 0.5,
}  # else every worked ticket has one

AWS_KINDS = {Ticket.Kind.AWS_FINDING, Ticket.Kind.AWS_HEALTH}

TICKET_COLUMNS = (
    "id",
    "title",
    "description",
    "kind",
    "status",
    "environment",
    "aws_account_id",
    "escalation_level",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "assignee_id",
    "queue_id",
    "requester_id",
    "severity_id",
)
TABLES = {  # COPY order; FK triggers are off during the load, so the order is only for readability
    "tickets_ticket": TICKET_COLUMNS,
    "tickets_comment": ("id", "ticket_id", "author_id", "body", "is_internal", "created_at"),
    "tickets_ticketevent": ("id", "ticket_id", "actor_id", "kind", "data", "comment_id", "is_internal", "created_at"),
    "tickets_watch": ("id", "ticket_id", "user_id"),
    "tickets_ticket_tags": ("id", "ticket_id", "tag_id"),
}
NULL = r"\N"


class Event(NamedTuple):  # millions of these: a tuple is cheaper than a dataclass
    offset: float  # seconds after the ticket was created
    actor: int | None
    kind: str
    data: str  # JSON, already escaped for COPY
    body: str | None = None  # a comment's text: the event then points at a new tickets_comment row
    internal: bool = False
    stamps: str = ""  # the ticket timestamp this event sets: acknowledged, resolved or closed


@dataclass
class Batch:
    rows: dict[str, list[str]] = field(default_factory=lambda: {table: [] for table in TABLES})


def copy_text(value: str) -> str:
    """Escape for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def json_text(data: dict) -> str:
    return copy_text(json.dumps(data))


class Generator:
    """Builds COPY lines. Ids are assigned here, in order, so tickets, events and comments line up."""

    def __init__(self, reference: Reference, *, total: int, now: float) -> None:
        severities, queues, names = reference.severities, reference.queues, reference.names
        self.rng = random.Random(RANDOM_SEED)
        self.now = now
        self.start = now - SPAN.total_seconds()
        self.step = SPAN.total_seconds() / total  # ticket n is created about n steps after the start
        self.severities = severities
        self.severity_weights = [SEVERITY_SHARE[s.name] for s in severities]
        self.queues = queues
        self.queue_weights = [q.share for q in queues]
        self.requesters = reference.requesters
        self.requester_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.requesters))]  # a few file most
        self.tag_ids = reference.tag_ids
        # Plain strings, not enum members: f-strings format those through a slow Python-level __format__.
        self.kinds = [str(kind) for kind in KIND_SHARE]
        self.environments = [str(environment) for environment in ENVIRONMENT_SHARE]
        self.open_statuses = [str(status) for status in OPEN_MIX]
        self.titles = {kind: [t.format(s=svc) for t in TITLES[kind] for svc in SERVICES] for kind in self.kinds}
        self.descriptions = [
            copy_text(" ".join(self.rng.sample(SENTENCES, self.rng.randint(2, 4)))) for _ in range(300)
        ]
        self.comments = [copy_text(c) for c in COMMENTS]
        self.accounts = [f"{self.rng.randrange(10**11, 10**12):012d}" for _ in range(40)]
        self.event_id = self.comment_id = self.watch_id = self.tag_row_id = 0
        # Event payloads as tickets.timeline writes them; there are few distinct ones, so encode them once.
        label = dict(S.choices)
        self.created_data = {
            (s.id, q.id): json_text({"severity": s.name, "queue": q.name, "status": S.NEW.value})
            for s in severities
            for q in queues
        }
        self.status_data = {
            (before, after, note): json_text({"before": label[before], "after": label[after], "note": note})
            for before in S.values
            for after in S.values
            for note in ["", *RESOLUTION_NOTES]
        }
        self.assigned_data = {user: json_text({"before": "nobody", "after": name}) for user, name in names.items()}
        self.escalated_data = {
            (reason, user): json_text({"level": 1, "reason": reason, "to": name})
            for reason in ESCALATION_REASONS
            for user, name in names.items()
        }
        self._days: dict[int, str] = {}
        self._clock = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}+00" for s in range(86400)]

    def batch(self, first_id: int, count: int) -> Batch:
        rng, batch = self.rng, Batch()
        severities = rng.choices(self.severities, self.severity_weights, k=count)
        queues = rng.choices(self.queues, self.queue_weights, k=count)
        kinds = rng.choices(self.kinds, list(KIND_SHARE.values()), k=count)
        environments = rng.choices(self.environments, list(ENVIRONMENT_SHARE.values()), k=count)
        requesters = rng.choices(self.requesters, self.requester_weights, k=count)
        for n in range(count):
            ticket_id = first_id + n
            created = self.start + (ticket_id - 1 + rng.random()) * self.step  # ids grow with created_at
            self._ticket(batch, ticket_id, created, severities[n], queues[n], kinds[n], environments[n], requesters[n])
        return batch

    def _ticket(
        self,
        batch: Batch,
        ticket_id: int,
        created: float,
        severity: Severity,
        queue: Queue,
        kind: str,
        environment: str,
        requester: int,
    ) -> None:
        rng = self.rng
        age = self.now - created
        status = self._status(age)
        agent = rng.choice(queue.agents)
        events = self._history(status, severity, queue, requester, agent)

        # A young ticket's history must not run past now: squeeze it into the time it has had.
        last = events[-1].offset
        scale = min(1.0, max(age - 60, 0) / last) if last > 0 else 1.0
        ts = self._ts
        event_lines, comment_lines = batch.rows["tickets_ticketevent"], batch.rows["tickets_comment"]
        stamps = {"acknowledged": NULL, "resolved": NULL, "closed": NULL}
        for event in events:
            at = ts(created + event.offset * scale)
            actor = NULL if event.actor is None else event.actor
            internal = "t" if event.internal else "f"
            comment: str | int = NULL
            if event.body is not None:
                self.comment_id += 1
                comment = self.comment_id
                comment_lines.append(f"{comment}\t{ticket_id}\t{actor}\t{event.body}\t{internal}\t{at}\n")
            if event.stamps:
                stamps[event.stamps] = at
            self.event_id += 1
            event_lines.append(
                f"{self.event_id}\t{ticket_id}\t{actor}\t{event.kind}\t{event.data}\t{comment}\t{internal}\t{at}\n"
            )
        assignee = NULL if status == S.NEW else agent
        account = rng.choice(self.accounts) if kind in AWS_KINDS or rng.random() < 0.4 else ""
        escalation = sum(event.kind == E.ESCALATED for event in events)
        batch.rows["tickets_ticket"].append(
            f"{ticket_id}\t{rng.choice(self.titles[kind])}\t{rng.choice(self.descriptions)}\t{kind}\t{status}\t"
            f"{environment}\t{account}\t{escalation}\t{ts(created)}\t{ts(created + last * scale)}\t"
            f"{stamps['acknowledged']}\t{stamps['resolved']}\t{stamps['closed']}\t"
            f"{ts(created + severity.response)}\t{ts(created + severity.resolution)}\t"
            f"{assignee}\t{queue.id}\t{requester}\t{severity.id}\n"
        )
        # The requester watches their ticket; the assignee starts watching when assigned (as services do).
        for user in {requester} if assignee is NULL else {requester, agent}:
            self.watch_id += 1
            batch.rows["tickets_watch"].append(f"{self.watch_id}\t{ticket_id}\t{user}\n")
        if rng.random() < 0.25:
            for tag in rng.sample(self.tag_ids, rng.randint(1, 2)):
                self.tag_row_id += 1
                batch.rows["tickets_ticket_tags"].append(f"{self.tag_row_id}\t{ticket_id}\t{tag}\n")

    def _history(self, status: str, severity: Severity, queue: Queue, requester: int, agent: int) -> list[Event]:
        """The timeline that leads to `status`, the way the services would have written it."""
        rng, changed = self.rng, self.status_data
        events = [Event(0.0, requester, E.CREATED.value, self.created_data[severity.id, queue.id])]
        if status == S.NEW:
            if rng.random() < 0.4:
                offset = severity.response * rng.uniform(0.05, 0.5)
                events.append(Event(offset, requester, E.COMMENTED.value, "{}", body=rng.choice(self.comments)))
            return events
        # Acknowledging stamps acknowledged_at and takes ownership; about a quarter miss the response target.
        ack = severity.response * rng.uniform(0.05, 1.3)
        events.append(
            Event(ack, agent, E.STATUS_CHANGED.value, changed[S.NEW, S.ACKNOWLEDGED, ""], stamps="acknowledged")
        )
        events.append(Event(ack + 1, agent, E.ASSIGNED.value, self.assigned_data[agent]))
        work = severity.resolution * rng.uniform(0.05, 1.2)  # some miss the resolution target too
        if severity.name in ("SEV1", "SEV2") and rng.random() < 0.3:
            data = self.escalated_data[rng.choice(ESCALATION_REASONS), rng.choice(queue.agents)]
            events.append(Event(ack + work * 0.3, agent, E.ESCALATED.value, data))
        if rng.random() < COMMENT_SHARE.get(status, 1.0):
            body, internal = rng.choice(self.comments), rng.random() < 0.25
            events.append(Event(ack + work * 0.5, agent, E.COMMENTED.value, "{}", body=body, internal=internal))
        if status in (S.IN_PROGRESS, S.WAITING_AWS):
            events.append(
                Event(ack + work * 0.6, agent, E.STATUS_CHANGED.value, changed[S.ACKNOWLEDGED, S.IN_PROGRESS, ""])
            )
        if status == S.WAITING_AWS:
            events.append(
                Event(ack + work * 0.7, agent, E.STATUS_CHANGED.value, changed[S.IN_PROGRESS, S.WAITING_AWS, ""])
            )
        elif status == S.WAITING_REQUESTER:
            data = changed[S.ACKNOWLEDGED, S.WAITING_REQUESTER, ""]
            events.append(Event(ack + work * 0.7, agent, E.STATUS_CHANGED.value, data))
        elif status in (S.RESOLVED, S.CLOSED):
            data = changed[S.ACKNOWLEDGED, S.RESOLVED, rng.choice(RESOLUTION_NOTES)]
            events.append(Event(ack + work, agent, E.STATUS_CHANGED.value, data, stamps="resolved"))
        if status == S.CLOSED:
            by_requester = rng.random() < 0.3  # else the auto-close timer: actor None
            later = rng.uniform(3600, 3 * 86400) if by_requester else AUTO_CLOSE + rng.uniform(0, 3600)
            actor = requester if by_requester else None
            data = changed[S.RESOLVED, S.CLOSED, ""]
            events.append(Event(ack + work + later, actor, E.STATUS_CHANGED.value, data, stamps="closed"))
        return events

    def _status(self, age: float) -> str:
        rng = self.rng
        if rng.random() < (OPEN_SHARE_RECENT if age < RECENT else OPEN_SHARE_OLDER):
            return rng.choices(self.open_statuses, list(OPEN_MIX.values()))[0]
        if age < AUTO_CLOSE * 2:
            return S.RESOLVED.value if rng.random() < 0.7 else S.CLOSED.value
        return S.CLOSED.value if rng.random() < 0.97 else S.RESOLVED.value

    def _ts(self, epoch: float) -> str:
        """A timestamptz literal; much faster than datetime.isoformat for millions of rows."""
        whole = int(epoch)
        day, second = divmod(whole, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return f"{prefix} {self._clock[second]}"
