"""Ninety days of demo history for `make run`, after `seed_demo`: the dashboard, trends, reviews and maintenance
pages then have something to show on a fresh demo.

Every row is written by the apps' services, as the portal would have written it at the time. Those services read
the clock (timeline events, comments, `updated_at`, SLA marks all take `timezone.now()`; model defaults hold the
function itself, so patching `django.utils.timezone.now` would miss them), so the history is replayed on a
travelling clock of our own (supportdesk.clock, not a test tool), moved to each step's moment in turn. Only this
command travels; the portal, the worker and beat keep the real clock.

Skipped when the database already has history (a ticket older than two weeks: ours from an earlier run, or real
work), so `make run` can call it every time. One transaction: a failed run leaves nothing behind.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from escalation.services import chains as chain_services
from escalation.services import sla as sla_services
from integrations.maintenance.services import maintenance_window_create
from integrations.models import AwsAccount
from kpis import services as kpi_services
from kpis.models import KpiTarget
from notifications import services as notification_services
from readiness import services as readiness_services
from readiness.models import Review, ReviewAction, ReviewSchedule, ReviewTemplate, Risk, Workload
from supportdesk.clock import replayed_clock
from tickets import services as ticket_services
from tickets.models import Queue, Severity, Ticket
from tickets.workflow import Action

HISTORY_DAYS = 90
TICKET_COUNT = 260
SWEEP_EVERY = timedelta(hours=1)
HISTORY_EXISTS_AFTER = timedelta(days=14)  # seed_demo's tickets and the sandbox's are all younger than this
PAYMENTS_ACCOUNT = "111122223333"  # the sandbox's Payments production account, as seed_demo files production tickets
K = Ticket.Kind
PROD, STAGING, DEV = (e.value for e in Ticket.Environment)
# title, kind, queue, environments to pick from
CATALOGUE = [
    ("Checkout latency above 2 s", K.INCIDENT, "payments", [PROD]),
    ("Card payments declined by the gateway", K.INCIDENT, "payments", [PROD]),
    ("Payment webhooks arrive late", K.INCIDENT, "payments", [PROD, STAGING]),
    ("Settlement job failed overnight", K.INCIDENT, "payments", [PROD]),
    ("5xx errors on the public API", K.INCIDENT, "platform", [PROD, STAGING]),
    ("Kubernetes node not ready", K.INCIDENT, "platform", [PROD, STAGING, DEV]),
    ("Deploy pipeline stuck on the integration tests", K.INCIDENT, "platform", [STAGING, DEV]),
    ("Certificate on api.example.com expires in 7 days", K.INCIDENT, "platform", [PROD]),
    ("RDS CPU at 95% on orders-db", K.INCIDENT, "platform", [PROD]),
    ("Build agents out of disk", K.INCIDENT, "platform", [DEV]),
    ("GuardDuty: unusual API calls from a new country", K.INCIDENT, "cloud-security", [PROD]),
    ("Security group open to 0.0.0.0/0 on port 22", K.INCIDENT, "cloud-security", [STAGING, DEV]),
    ("Raise the Lambda concurrency limit", K.SERVICE_REQUEST, "platform", [PROD]),
    ("New S3 bucket for the monthly reports", K.SERVICE_REQUEST, "platform", [DEV, PROD]),
    ("DNS record for the new landing page", K.SERVICE_REQUEST, "platform", [PROD]),
    ("IAM role for the data team", K.SERVICE_REQUEST, "cloud-security", [PROD, DEV]),
    ("Access to the analytics account", K.SERVICE_REQUEST, "service-desk", [""]),
    ("Add a colleague to the on-call rota", K.SERVICE_REQUEST, "service-desk", [""]),
    ("Refund report for finance", K.SERVICE_REQUEST, "payments", [PROD]),
    ("Laptop for a new starter", K.IT_REQUEST, "central-it", [""]),
    ("VPN does not connect from home", K.IT_REQUEST, "central-it", [""]),
    ("Access to the shared finance mailbox", K.IT_REQUEST, "central-it", [""]),
    ("Second monitor for the office", K.IT_REQUEST, "central-it", [""]),
    ("Licence for the diagramming tool", K.IT_REQUEST, "central-it", [""]),
    ("Password reset for the HR system", K.IT_REQUEST, "central-it", [""]),
    ("Printer on floor 2 jams", K.IT_REQUEST, "central-it", [""]),
]
# Relative weights of SEV1..SEV5: production incidents are the only major ones
SEVERITY_WEIGHTS = {"major": [6, 14, 50, 30, 0], "incident": [0, 0, 60, 40, 0], "request": [0, 0, 15, 60, 25]}


@dataclass
class Life:
    """One ticket's planned history; `ticket` is set when its creation step runs."""

    spec: tuple
    severity: Severity
    queue: Queue
    requester: User
    agent: User
    environment: str
    ticket: Ticket | None = None

    def filed(self) -> Ticket:
        assert self.ticket is not None  # steps run in time order: its creation step has run
        return self.ticket


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    run: Callable[[], object] = field(compare=False)


class Command(BaseCommand):
    help = "Ninety days of demo ticket history, readiness reviews, a maintenance window and KPI targets (run once)."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if Ticket.objects.filter(created_at__lt=now - HISTORY_EXISTS_AFTER).exists():
            self.stdout.write("Demo history: the database has history already; nothing added.")
            return
        self.people = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@example.com")}
        self.queues = {q.slug: q for q in Queue.objects.prefetch_related("members")}
        self.severities = list(Severity.objects.order_by("rank"))
        self.account = AwsAccount.objects.filter(account_id=PAYMENTS_ACCOUNT).first()
        self.rng = random.Random(90)
        self.now = now
        self.steps: list[Step] = []
        with transaction.atomic():
            # the people in a replayed history heard at the time: nothing about it is mailed today
            with (
                notification_services.notices_held_all(),
                replayed_clock(now - timedelta(days=HISTORY_DAYS)) as clock,
            ):
                self._plan()
                for step in sorted(self.steps):
                    clock.move_to(step.at)
                    step.run()
            self._readiness()
            self._maintenance()
            self._targets()
        self.stdout.write(self.style.SUCCESS(f"Demo history: {TICKET_COUNT} tickets over {HISTORY_DAYS} days."))
        # the dashboard's figures at once, and the targets judged on yesterday
        kpi_services.facts_rebuild()
        kpi_services.kpi_snapshots_take(day=timezone.localdate() - timedelta(days=1))

    def _at(self, at: datetime, run: Callable[[], object]) -> None:
        if at < self.now:  # what would happen after now has not happened yet: that ticket is still open
            self.steps.append(Step(at, len(self.steps), run))

    # Tickets

    def _plan(self) -> None:
        start = self.now - timedelta(days=HISTORY_DAYS)
        for day in range(HISTORY_DAYS + 1):  # the hourly auto-close task, once a day is enough here
            moment = datetime.combine(start.date() + timedelta(days=day), time(2), tzinfo=start.tzinfo)
            self._at(moment, partial(ticket_services.tickets_auto_close, now=moment))
        # The SLA and escalation sweeps (every minute in use; every SWEEP_EVERY here): breaches are recorded and
        # chains run when they happened, not all at once when the worker first starts
        for step in range(int(timedelta(days=HISTORY_DAYS) / SWEEP_EVERY) + 1):
            moment = start + step * SWEEP_EVERY
            self._at(moment, partial(self._sweep, moment))
        for _ in range(TICKET_COUNT):
            self._plan_ticket(self._life(), created=self._created_at(start))

    @staticmethod
    def _sweep(moment: datetime) -> None:
        sla_services.sla_sweep(now=moment)
        chain_services.escalations_sweep(now=moment)

    def _created_at(self, start: datetime) -> datetime:
        """Mostly working hours on weekdays, as people file them; all before now."""
        while True:
            day = start + timedelta(days=self.rng.uniform(0, HISTORY_DAYS))
            hour = int(self.rng.triangular(6, 20, 11))
            created = day.replace(hour=hour, minute=self.rng.randrange(60))
            if created < self.now and (day.weekday() < 5 or self.rng.random() < 0.2):
                return created

    def _life(self) -> Life:
        rng = self.rng
        spec = rng.choice(CATALOGUE)
        _, kind, slug, environments = spec
        environment = rng.choice(environments)
        if kind == K.INCIDENT:
            weights = SEVERITY_WEIGHTS["major" if environment == PROD else "incident"]
        else:
            weights = SEVERITY_WEIGHTS["request"]
        queue = self.queues[slug]
        return Life(
            spec=spec,
            severity=rng.choices(self.severities, weights=weights)[0],
            queue=queue,
            requester=self.people[rng.choice(["requester", "sam"])],
            agent=rng.choice(list(queue.members.all())),
            environment=environment,
        )

    def _plan_ticket(self, life: Life, created: datetime) -> None:
        rng, sev = self.rng, life.severity
        major = sev.rank <= 2
        # ~15% stay open, where they stopped: most of the last few days' tickets, and a backlog of older, less
        # urgent ones (only the low severities wait unanswered for long); major incidents are all over
        open_at = None
        if not major and rng.random() < (0.6 if self.now - created < timedelta(days=5) else 0.1):
            open_at = rng.choice(["new" if sev.rank >= 4 else "acknowledged", "acknowledged", "work", "waiting"])
        self._at(created, lambda: self._create(life))
        if open_at == "new":
            return
        # Acknowledged well within the response target, but one in eight breaches it; SEV1 never does (paging)
        breach = sev.rank > 1 and rng.random() < 0.125
        acked = created + sev.response_target * (rng.uniform(1.1, 3) if breach else rng.betavariate(1.5, 4))
        self._at(acked, lambda: self._act(life, Action.ACKNOWLEDGE, life.agent))
        if rng.random() < 0.7:
            self._at(acked + timedelta(minutes=1), lambda: self._comment(life, life.agent, "Looking into it now."))
        if major:
            self._at(
                acked + timedelta(minutes=3),
                lambda: ticket_services.ticket_escalate(
                    ticket=life.filed(), actor=life.agent, reason="Customers affected; all hands on it."
                ),
            )
        if open_at == "acknowledged":
            return
        working = acked + sev.response_target * rng.uniform(0.05, 0.3)
        self._at(working, lambda: self._act(life, Action.START, life.agent))
        if rng.random() < 0.3:
            note = "Checked the logs and the recent changes; narrowing it down."
            self._at(working + timedelta(minutes=20), lambda: self._comment(life, life.agent, note, internal=True))
        resolve_by = sev.resolution_target * (
            rng.uniform(1.05, 2.5) if rng.random() < 0.15 and not major else rng.uniform(0.1, 0.85)
        )
        resolved = max(created + resolve_by, working + timedelta(minutes=30))
        if not major and (rng.random() < 0.2 or open_at == "waiting"):
            asked = working + (resolved - working) * 0.3
            question = "Could you tell us when this started, and send a screenshot?"
            self._at(asked, lambda: self._comment(life, life.agent, question))
            self._at(asked + timedelta(minutes=1), lambda: self._act(life, Action.WAIT_ON_REQUESTER, life.agent))
            if open_at == "waiting":
                return
            replied = asked + (resolved - asked) * rng.uniform(0.2, 0.6)
            self._at(replied, lambda: self._comment(life, life.requester, "Since Monday morning; screenshot attached."))
        if open_at:
            return
        self._at(
            resolved, lambda: self._act(life, Action.RESOLVE, life.agent, "Fixed and verified with the requester.")
        )
        if major and life.spec[1] == K.INCIDENT:
            self._plan_post_incident_review(life, resolved)
        if rng.random() < 0.07:
            reopened = resolved + timedelta(hours=rng.uniform(4, 96))
            self._at(reopened, lambda: self._act(life, Action.REOPEN, life.requester, "It is happening again."))
            fixed = reopened + timedelta(hours=rng.uniform(1, 48))
            self._at(fixed, lambda: self._act(life, Action.RESOLVE, life.agent, "Found a second cause; fixed too."))

    def _create(self, life: Life) -> None:
        title, kind, _, _ = life.spec
        account = PAYMENTS_ACCOUNT if life.environment == PROD and life.queue.slug in {"payments", "platform"} else ""
        life.ticket = ticket_services.ticket_create(
            requester=life.requester,
            title=title,
            kind=kind,
            severity=life.severity,
            queue=life.queue,
            environment=life.environment,
            aws_account_id=account,
            description=f"{title}. Seen since this morning.",
        )

    def _act(self, life: Life, action: str, actor: User, note: str = "") -> None:
        life.ticket = ticket_services.ticket_transition(ticket=life.filed(), actor=actor, action=action, note=note)

    def _comment(self, life: Life, author: User, body: str, *, internal: bool = False) -> None:
        ticket_services.comment_add(ticket=life.filed(), author=author, body=body, is_internal=internal)

    # Readiness

    def _plan_post_incident_review(self, life: Life, resolved: datetime) -> None:
        """Opened a minute after the resolution, as the task the resolution queues would (it then finds it open);
        filled in and submitted within the week, and now and then an action item fixed a few days later."""
        review: dict[str, Review] = {}
        opened = resolved + timedelta(minutes=1)
        self._at(opened, lambda: self._review_open(review, life.filed(), opened))
        submitted = resolved + timedelta(days=self.rng.uniform(2, 6))
        self._at(submitted, lambda: self._review_fill(review["it"], life.agent, submit=True))
        if self.rng.random() < 0.5:
            action: dict[str, ReviewAction] = {}
            self._at(
                submitted - timedelta(minutes=5),
                lambda: action.update(
                    it=readiness_services.action_add(
                        review=review["it"],
                        actor=self.people["manager"],
                        title=f"Alarm earlier on: {life.filed().title}",
                        severity=self.severities[3],
                        owner=life.agent,
                    )
                ),
            )
            done = submitted + timedelta(days=self.rng.uniform(1, 10))
            self._at(done, lambda: self._action_done(action["it"], life.agent))

    def _review_open(self, review: dict[str, Review], ticket: Ticket, now: datetime) -> None:
        opened = readiness_services.post_incident_review_open(ticket_id=ticket.pk, now=now)
        assert opened is not None  # resolved a minute ago, a major incident, not reviewed yet: it opens
        review["it"] = opened

    def _action_done(self, action: ReviewAction, agent: User) -> None:
        note = "Alarm added and tested."
        ticket_services.ticket_transition(ticket=action.ticket, actor=agent, action=Action.RESOLVE, note=note)

    def _review_fill(self, review: Review, agent: User, *, submit: bool, answered: int | None = None) -> None:
        risks = [Risk.NONE, Risk.LOW, Risk.LOW, Risk.MEDIUM, Risk.HIGH]
        for answer in list(review.answers.all())[:answered]:
            readiness_services.answer_save(
                answer=answer,
                actor=agent,
                answer_text="Covered; see the runbook and the timeline.",
                risk=self.rng.choice(risks),
                notes="",
            )
        if submit:
            readiness_services.review_submit(review=review, actor=self.people["manager"])

    def _readiness(self) -> None:
        """Quarterly reviews of two workloads: one under way with an action item, one overdue."""
        manager, today = self.people["manager"], timezone.localdate()
        template = ReviewTemplate.objects.get(for_post_incident=False, name__startswith="Operational readiness")
        # Workloads and schedules are configuration (the admin writes them); the reviews come from the services
        payments, _ = Workload.objects.get_or_create(
            name="Payments API",
            defaults={
                "description": "Card payments and refunds for the web shop.",
                "owner_queue": self.queues["platform"],
                "owner": manager,
                "aws_account": self.account,
                "environment": PROD,
            },
        )
        corporate, _ = Workload.objects.get_or_create(
            name="Corporate IT",
            defaults={
                "description": "Laptops, VPN, mail and the office network.",
                "owner_queue": self.queues["central-it"],
                "owner": manager,
                "environment": "",
            },
        )
        for workload, due in ((payments, today + timedelta(days=10)), (corporate, today - timedelta(days=12))):
            ReviewSchedule.objects.get_or_create(
                workload=workload, template=template, defaults={"every_months": 3, "next_due_on": due}
            )
        readiness_services.reviews_open_due(today=today)
        review = Review.objects.get(workload=payments, status=Review.Status.DUE)
        self._review_fill(review, self.people["agent"], submit=False, answered=5)
        readiness_services.action_add(
            review=review,
            actor=manager,
            title="Test a restore of orders-db from last night's snapshot",
            severity=self.severities[2],
            owner=self.people["agent"],
            description="The last restore test is older than a quarter (question 6).",
        )

    def _maintenance(self) -> None:
        starts = datetime.combine(
            timezone.localdate() + timedelta(days=2), time(22), tzinfo=timezone.get_current_timezone()
        )
        maintenance_window_create(
            actor=self.people["manager"],
            title="Database failover test",
            account=self.account,
            service="RDS",
            region="eu-west-1",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            notes="orders-db fails over to its standby; payments may pause for a minute.",
        )

    def _targets(self) -> None:
        sev1 = self.severities[0]
        targets: list[dict[str, Any]] = [
            {
                "kpi": "mtta_p50",
                "direction": KpiTarget.Direction.AT_MOST,
                "value": 15,
                "window_days": 30,
                "severity": sev1,
                "environment": PROD,
            },
            {"kpi": "response_sla", "direction": KpiTarget.Direction.AT_LEAST, "value": 90, "window_days": 7},
        ]
        for fields in targets:  # configuration, as the admin writes it
            target, _ = KpiTarget.objects.get_or_create(**fields)
            target.stakeholders.add(self.people["manager"])
