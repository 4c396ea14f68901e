"""Demo people, queues and tickets for `make run`, and with --sandbox the AWS sandbox's accounts.

Safe to run again: it adds nothing twice.
"""

import hashlib
import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from celery import current_app as celery_app  # the project's app; apps do not import supportdesk.celery
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.roles import Role, user_set_role
from mail.models import Mailbox
from supportdesk.commit import after_commit_robust
from tickets import services
from tickets.models import CannedReply, Queue, QueueMember, Severity, Ticket
from tickets.workflow import Action

DEMO_PASSWORD = "supportdesk-demo"
PEOPLE = [
    ("requester@example.com", "Riya", "Shah", Role.REQUESTER),
    ("sam@example.com", "Sam", "Okafor", Role.REQUESTER),
    ("agent@example.com", "Alex", "Moreno", Role.AGENT),
    ("jo@example.com", "Jo", "Lindqvist", Role.AGENT),
    ("manager@example.com", "Morgan", "Lee", Role.MANAGER),
    ("admin@example.com", "Ada", "Kowalski", Role.ADMIN),
]
QUEUES = [
    ("Service desk", "service-desk", ["agent@example.com", "jo@example.com"]),
    ("Platform", "platform", ["agent@example.com"]),
    ("Cloud security", "cloud-security", ["jo@example.com"]),
    ("Central IT", "central-it", ["jo@example.com"]),
    ("Payments", "payments", ["agent@example.com"]),
]
ONCALL = {"service-desk": ["agent@example.com", "jo@example.com"], "payments": ["agent@example.com"]}
# Primary weekly, secondary daily in the reverse order (so the two are not the same person), hand-offs 09:00 UTC
ONCALL_LAYERS = [("Primary", "weekly", 1), ("Secondary", "daily", -1)]
# minutes after the last, the action, the on-call layer: the primary, then the secondary after 5 minutes
ESCALATION_STEPS = [
    (0, "notify_assignee", None),
    (10, "notify_oncall", 1),
    (5, "notify_oncall", 2),
    (15, "notify_managers", None),
]
# A new SEV1 or SEV2 pages the queue's primary on-call at once, the secondary after 5 minutes, then its managers
URGENT_STEPS = [(0, "notify_oncall", 1), (5, "notify_oncall", 2), (10, "notify_managers", None)]
# Paging: verified numbers (fictional 555-01xx numbers; the sandbox's phone page shows what they are sent) and rules
DEMO_NUMBERS = {
    "agent@example.com": "+12065550101",
    "jo@example.com": "+12065550102",
    "manager@example.com": "+12065550103",
}
# (minutes, medium) per band; a person's own rules tighten their queues' defaults
PERSONAL_RULES = {"urgent": [(0, "sms"), (5, "voice")], "other": [(0, "email")]}
TEAM_DEFAULTS = {"service-desk": [(2, "sms"), (10, "voice")], "payments": [(2, "sms"), (10, "voice")]}
# With the sandbox's Slack: the example, a Slack DM at once, an SMS after 2 minutes, a call after 5
SLACK_URGENT_RULES = [(0, "slack"), (2, "sms"), (5, "voice")]
ENGINEERS = ("agent@example.com", "jo@example.com")
# Health events whose resources carry these tags go to these queues (the sandbox tags some team=payments)
SANDBOX_TAG_ROUTES = [("team", "payments", "payments")]
TICKETS = [
    ("Checkout API returns 502 for EU customers", Ticket.Kind.INCIDENT, "SEV1", "platform", "production"),
    ("VPN drops every 10 minutes on macOS", Ticket.Kind.IT_REQUEST, "SEV3", "central-it", ""),
    ("New laptop for starter on Monday", Ticket.Kind.SERVICE_REQUEST, "SEV4", "central-it", ""),
    ("RDS storage at 92% on orders-db", Ticket.Kind.INCIDENT, "SEV2", "platform", "production"),
    ("S3 bucket with public read ACL", Ticket.Kind.INCIDENT, "SEV2", "cloud-security", "production"),
    ("Access to the analytics account", Ticket.Kind.SERVICE_REQUEST, "SEV4", "service-desk", ""),
    ("Staging deploys time out", Ticket.Kind.INCIDENT, "SEV3", "platform", "staging"),
    ("Idle load balancers in dev", Ticket.Kind.SERVICE_REQUEST, "SEV5", "platform", "development"),
    ("Password reset for shared mailbox", Ticket.Kind.IT_REQUEST, "SEV4", "central-it", ""),
    ("Latency spike on search", Ticket.Kind.INCIDENT, "SEV2", "platform", "production"),
    ("IAM user without MFA", Ticket.Kind.INCIDENT, "SEV3", "cloud-security", "production"),
    ("Printer on floor 3 offline", Ticket.Kind.IT_REQUEST, "SEV5", "central-it", ""),
]
# The accounts the sandbox plays (tools/sandbox/scenario.py); their roles exist only there
SANDBOX_ACCOUNTS = [  # account id, name, environment, support plan, owner queue
    ("111122223333", "Payments production", "production", "enterprise", "platform"),
    ("444455556666", "Platform development", "development", "business", "platform"),
    ("777788889999", "Marketing website", "production", "basic", "service-desk"),
]
SANDBOX_POLL_TASKS = [
    "integrations.tasks.trusted_advisor_poll_all_task",
    "integrations.tasks.health_poll_all_task",
    "integrations.tasks.support_cases_sync_all_task",  # the sandbox replies a minute after each message
    "integrations.tasks.security_hub_poll_all_task",
]
SANDBOX_SLACK_CHANNEL = "C0SANDBOX1"  # tools/sandbox/slack.py's channel
SANDBOX_ALARM_TOPIC = "arn:aws:sns:us-east-1:111122223333:supportdesk-alarms"  # tools/sandbox/cloudwatch.py's
DEMO_MAILBOX = ("servicedesk@example.com", "service-desk")  # --maildir: the Service desk queue's mailbox
# --maildir: mail waiting when `make run` starts; the poller reads it within a minute ({ticket}: Riya's first ticket)
DEMO_MAIL = [
    (
        "From: Sam Okafor <sam@example.com>\nSubject: Projector in room 4.2 shows no signal\n\n"
        "Hi, the projector in 4.2 says 'no signal' with every laptop we tried. We have a client meeting at 3.\n\nSam"
    ),
    (
        "From: Riya Shah <requester@example.com>\nSubject: Re: [{ticket}] Checkout API returns 502 for EU customers\n\n"
        "Customers in Spain still see the 502 now and then, about one in twenty.\n\n"
        "On Mon, Supportdesk <supportdesk@localhost> wrote:\n> Looking into it now.\n"
    ),
    (
        "From: Dana Novak <dana@example.com>\nSubject: Access to the shared drive\n\n"
        "Hello, I joined the finance team today and cannot open the shared drive. Dana"
    ),
    (
        "From: Sam Okafor <sam@example.com>\nSubject: Automatic reply: Projector in room 4.2\n"
        "Auto-Submitted: auto-replied\n\nI am out of the office until Monday."
    ),
]


def sandbox_slack_member(email: str) -> str:
    """The member ID the sandbox's Slack gives an address (tools/sandbox/slack.py FakeSlack.user_id; the sandbox
    imports nothing of the portal, nor the portal of it)."""
    return "U" + hashlib.sha1(email.lower().encode()).hexdigest()[:10].upper()


SANDBOX_POLL_SECONDS = 30  # the sandbox's story moves every 30 s: a newcomer sees tickets within a minute

CANNED_REPLIES = [
    ("We're on it", "Hi {{ requester }}, thanks for {{ reference }}. {{ me }} is looking into it now."),
    (
        "Need more detail",
        "Hi {{ requester }}, to move {{ reference }} along, could you send the time it happened, the AWS account "
        "and region, and any error message?",
    ),
    ("Resolved, please confirm", "Hi {{ requester }}, we believe {{ reference }} is fixed. Reply if it comes back."),
]


class Command(BaseCommand):
    help = "Create demo users for each role, queues and tickets (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--sandbox",
            action="store_true",
            help="Also add the AWS sandbox's demo accounts and poll them every 30 seconds (make run does this when "
            "it starts the sandbox).",
        )
        parser.add_argument(
            "--maildir",
            help="Give the Service desk queue a mailbox read from this Maildir folder, with demo mail waiting in it "
            "(a request, a reply to a ticket, a newcomer, an out-of-office); make run does this.",
        )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            people = self._people()
            self._queues(people)
            self._oncall_and_escalation(people)
            self._canned_replies()
            self._paging(people)
        if not Ticket.objects.exists():
            self._tickets(people)
        if options.get("maildir"):
            self._demo_mail(people, Path(options["maildir"]))
        if options["sandbox"]:
            self._sandbox_accounts()
            self._sandbox_poll_every_30_seconds()
            if urlsplit(settings.SLACK_API_URL).hostname in ("127.0.0.1", "localhost") and settings.SLACK_BOT_TOKEN:
                self._sandbox_slack_channel()
                self._sandbox_slack_dms()
        self.stdout.write(self.style.SUCCESS(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):"))
        for email, *_, role in PEOPLE:
            self.stdout.write(f"  {role.label:<10} {email}")

    def _people(self) -> dict:
        User = get_user_model()
        people = {}
        for email, first, last, role in PEOPLE:
            user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user_set_role(user=user, role=role)
            people[email] = user
        return people

    def _queues(self, people: dict) -> None:
        for name, slug, members in QUEUES:
            queue, _ = Queue.objects.get_or_create(slug=slug, defaults={"name": name})
            for email in members:
                QueueMember.objects.get_or_create(queue=queue, user=people[email])

    def _oncall_and_escalation(self, people: dict) -> None:
        """Two-layer on-call for two queues (primary weekly, secondary daily), an override, and a policy paging the
        primary, then the secondary, then the managers, that SEV1 SLAs and a production rule start."""
        # By name, not import: `tickets` imports no other domain app, even in its demo seed
        model = apps.get_model
        queues = {q.slug: q for q in Queue.objects.all()}
        # The first member is on call from the last Monday handoff already past (09:00 UTC, a layer's default): on a
        # Monday morning before it, this Monday's would leave nobody on call until nine.
        now = timezone.now().astimezone(UTC)
        monday = now.date() - timedelta(days=now.weekday())
        if now < datetime.combine(monday, time(9), tzinfo=UTC):
            monday -= timedelta(days=7)
        for slug, emails in ONCALL.items():
            schedule, created = model("oncall", "Schedule").objects.get_or_create(queue=queues[slug])
            if not created:
                continue
            for position, (name, shift, order) in enumerate(ONCALL_LAYERS, start=1):
                layer = model("oncall", "Layer").objects.create(
                    schedule=schedule, position=position, name=name, shift=shift, start_date=monday
                )
                for i, email in enumerate(emails[::order]):
                    model("oncall", "LayerMember").objects.create(layer=layer, user=people[email], position=i)
            if len(emails) > 1:  # the second member covers tomorrow evening on the primary layer
                evening = datetime.combine(now.date() + timedelta(days=1), time(18), tzinfo=UTC)
                model("oncall", "Override").objects.create(
                    layer=schedule.layers.get(position=1),
                    user=people[emails[1]],
                    starts_at=evening,
                    ends_at=evening + timedelta(hours=5),
                    reason="Covering a school run",
                )
        policy, created = model("escalation", "EscalationPolicy").objects.get_or_create(
            name="Page the on-call",
            defaults={
                "description": "Assignee, then the primary on-call, the secondary, then the managers; twice.",
                "repeat": 1,
            },
        )
        if created:
            for position, (minutes, action, layer) in enumerate(ESCALATION_STEPS, start=1):
                model("escalation", "EscalationStep").objects.create(
                    policy=policy,
                    position=position,
                    delay=timedelta(minutes=minutes),
                    action=action,
                    oncall_layer=layer,
                )
        sev1 = Severity.objects.get(rank=1)
        model("escalation", "SlaPolicy").objects.get_or_create(
            severity=sev1,
            queue=None,
            defaults={
                "acknowledge_within": timedelta(minutes=15),
                "resolve_within": timedelta(hours=4),
                "escalation_policy": policy,
                "update_every": timedelta(minutes=30),  # a public update every half hour while a SEV1 is open
            },
        )
        urgent, created = model("escalation", "EscalationPolicy").objects.get_or_create(
            name="Page the on-call now",
            defaults={"description": "The queue's primary on-call at once, the secondary, then its managers."},
        )
        if created:
            for position, (minutes, action, layer) in enumerate(URGENT_STEPS, start=1):
                model("escalation", "EscalationStep").objects.create(
                    policy=urgent,
                    position=position,
                    delay=timedelta(minutes=minutes),
                    action=action,
                    oncall_layer=layer,
                )
        model("rules", "Rule").objects.get_or_create(
            name="SEV1 and SEV2 page the on-call",
            defaults={"min_severity": Severity.objects.get(rank=2), "start_escalation": urgent, "position": 20},
        )
        model("rules", "Rule").objects.get_or_create(
            name="AWS issues in production",
            defaults={
                "kinds": [Ticket.Kind.AWS_HEALTH],
                "environments": [Ticket.Environment.PRODUCTION],
                "health_categories": ["issue"],
                "set_severity": Severity.objects.get(rank=2),
                "start_escalation": policy,
                "position": 10,
            },
        )

    def _paging(self, people: dict) -> None:
        """Verified numbers for the engineers and the manager, their own rules, and two teams' defaults."""
        model = apps.get_model
        now = timezone.now()
        for email, number in DEMO_NUMBERS.items():
            for medium in ("sms", "voice"):
                model("paging", "ContactMethod").objects.get_or_create(
                    user=people[email], medium=medium, defaults={"phone": number, "verified_at": now}
                )
        rule = model("paging", "NotificationRule").objects
        for email in ENGINEERS:
            for band, steps in PERSONAL_RULES.items():
                for minutes, medium in steps:
                    rule.get_or_create(user=people[email], band=band, delay=timedelta(minutes=minutes), medium=medium)
        for slug, steps in TEAM_DEFAULTS.items():
            queue = Queue.objects.get(slug=slug)
            for minutes, medium in steps:
                rule.get_or_create(queue=queue, band="urgent", delay=timedelta(minutes=minutes), medium=medium)

    def _tickets(self, people: dict) -> None:
        rng = random.Random(7)
        severities = {s.name: s for s in Severity.objects.all()}
        queues = {q.slug: q for q in Queue.objects.all()}
        requesters = [people["requester@example.com"], people["sam@example.com"]]
        now = timezone.now()
        for i, (title, kind, sev, queue, env) in enumerate(TICKETS):
            created = now - timedelta(hours=rng.randint(1, 96))
            ticket = services.ticket_create(
                requester=requesters[i % 2],
                title=title,
                kind=kind,
                severity=severities[sev],
                queue=queues[queue],
                environment=env,
                description=f"{title}. Reported from the demo seed.",
                now=created,
                aws_account_id="111122223333" if env == "production" else "",
            )
            agent = next((u for u in queues[queue].members.all()), None)
            if i % 3 == 0 and agent:
                services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
                services.comment_add(ticket=ticket, author=agent, body="Looking into it now.")
            if i % 4 == 1 and agent:
                services.ticket_transition(ticket=ticket, actor=agent, action=Action.START)
                services.comment_add(ticket=ticket, author=agent, body="Checked the logs; see note.", is_internal=True)
            if i % 5 == 2 and agent:
                services.ticket_transition(
                    ticket=ticket, actor=agent, action=Action.RESOLVE, note="Fixed and verified."
                )

    @transaction.atomic
    def _demo_mail(self, people: dict, folder: Path) -> None:
        """The demo's mailbox, once; its mail is written once, with it, for the poller (beat, every minute)."""
        address, slug = DEMO_MAILBOX
        _, created = Mailbox.objects.get_or_create(
            address=address,
            defaults={
                "queue": Queue.objects.get(slug=slug),
                "transport": Mailbox.Transport.MAILDIR,
                "maildir_path": str(folder),
                "allowed_domains": "example.com",
            },
        )
        if not created:
            return
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        ticket = Ticket.objects.filter(requester=people["requester@example.com"]).order_by("pk").first()
        reference = ticket.reference if ticket is not None else "SD-1"
        stamp = int(timezone.now().timestamp())
        for n, text in enumerate(DEMO_MAIL):
            headers = f"To: {address}\nMessage-ID: <demo-{stamp}-{n}@example.com>\n"
            message = (headers + text.format(ticket=reference)).replace("\n", "\r\n").encode()
            (folder / "tmp" / f"{stamp}.demo{n}.supportdesk").write_bytes(message)
            # written in tmp/ and moved: a poller never reads half a message (the Maildir rule)
            (folder / "tmp" / f"{stamp}.demo{n}.supportdesk").rename(folder / "new" / f"{stamp}.demo{n}.supportdesk")

    def _sandbox_accounts(self) -> None:
        # By name, not import: `tickets` imports no other domain app, even in its demo seed
        AwsAccount = apps.get_model("integrations", "AwsAccount")
        TagRoute = apps.get_model("integrations", "TagRoute")
        queues = {q.slug: q for q in Queue.objects.all()}
        for key, value, queue in SANDBOX_TAG_ROUTES:
            TagRoute.objects.get_or_create(tag_key=key, tag_value=value, defaults={"queue": queues[queue]})
        # The sandbox pushes its CloudWatch alarm through this topic
        apps.get_model("integrations", "SnsTopic").objects.get_or_create(
            topic_arn=SANDBOX_ALARM_TOPIC, defaults={"description": "The sandbox's CloudWatch alarms"}
        )
        for account_id, name, environment, plan, queue in SANDBOX_ACCOUNTS:
            account, _ = AwsAccount.objects.get_or_create(
                account_id=account_id,
                defaults={
                    "name": name,
                    "environment": environment,
                    "support_plan": plan,
                    "owner_queue": queues[queue],
                    "role_arn": f"arn:aws:iam::{account_id}:role/SupportdeskRead",
                    "regions": ["us-east-1", "eu-west-1"],
                    # The sandbox's paid accounts have Security Hub on (tools/sandbox/scenario.py); the basic one not
                    "security_hub_enabled": plan != "basic",
                    "security_hub_write_back": plan != "basic",
                },
            )
            # What AWS allows (the basic plan: nothing) shows on the account page at once, not at the daily check
            after_commit_robust(
                celery_app.send_task, "integrations.tasks.account_capability_refresh_task", [account.pk]
            )

    @transaction.atomic
    def _sandbox_slack_channel(self) -> None:
        """The sandbox's fake Slack (make run, without a real Slack app): every queue's tickets go to its one channel,
        where the chat view (http://127.0.0.1:4566/slack/) shows them with working buttons."""
        Channel = apps.get_model("notifications", "Channel")
        channel, _ = Channel.objects.get_or_create(
            name="Slack #supportdesk (sandbox)", defaults={"kind": "slack", "slack_channel": SANDBOX_SLACK_CHANNEL}
        )
        for queue in Queue.objects.all():
            apps.get_model("notifications", "QueueChannel").objects.get_or_create(queue=queue, channel=channel)

    @transaction.atomic
    def _sandbox_slack_dms(self) -> None:
        """The engineers and the manager linked to the sandbox's Slack (the member IDs it gives their addresses), and
        the engineers' urgent rules start with a Slack DM: the chat view shows it to them with working buttons."""
        model, now = apps.get_model, timezone.now()
        rules = model("paging", "NotificationRule").objects
        for user in get_user_model().objects.filter(email__in=DEMO_NUMBERS):
            model("paging", "ContactMethod").objects.update_or_create(
                user=user,
                medium="slack",
                defaults={"slack_user_id": sandbox_slack_member(user.email), "verified_at": now},
            )
            if user.email not in ENGINEERS:
                continue
            wanted = [(timedelta(minutes=minutes), medium) for minutes, medium in SLACK_URGENT_RULES]
            for rule in rules.filter(user=user, band="urgent"):
                if (rule.delay, rule.medium) not in wanted:
                    rule.delete()
            for delay, medium in wanted:
                rules.get_or_create(user=user, band="urgent", delay=delay, medium=medium)

    @transaction.atomic
    def _sandbox_poll_every_30_seconds(self) -> None:
        """Trusted Advisor and Health polls every 30 s, for the sandbox only; no rows yet, nothing to do."""
        every, _ = IntervalSchedule.objects.get_or_create(every=SANDBOX_POLL_SECONDS, period=IntervalSchedule.SECONDS)
        for task in PeriodicTask.objects.filter(task__in=SANDBOX_POLL_TASKS):
            task.interval, task.crontab, task.solar, task.clocked = every, None, None, None
            task.save()  # save(), not update(): beat notices changed schedules through its change signal

    def _canned_replies(self) -> None:
        """The team's replies the demo's agents find in a ticket's comment box."""
        for title, body in CANNED_REPLIES:
            CannedReply.objects.get_or_create(title=title, owner=None, defaults={"body": body})
