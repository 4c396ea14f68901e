"""The Django side of the bench: the bench agent and its credentials, and an in-process profile per page.

Import after django.setup() with the bench settings (tools/bench/__main__.py does both).
"""

import logging
import random
from dataclasses import dataclass
from importlib import import_module
from time import perf_counter
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.roles import Role, user_set_role
from tickets.models import Queue, QueueMember, Ticket
from tools.bench_views import SESSION_COOKIE as BENCH_SESSION_COOKIE

from .pages import CREATE_BODY, Auth, Page

log = logging.getLogger("bench.portal")

BENCH_EMAIL = "bench-agent@bench.supportdesk.test"
# Three of the ten seeded queues, about a third of all tickets: the agent's list has plenty to page through.
BENCH_QUEUES = ("cloud-platform", "databases", "observability")
SAMPLED_TICKETS = 5000


@dataclass(frozen=True)
class Credentials:
    portal_session: str
    bench_session: str
    token: str
    queue: str  # the filtered list's queue
    tickets: list[str]  # references of tickets the agent may see, spread over the whole id range

    def headers(self, auth: Auth) -> dict[str, str]:
        """What wrk sends, and what the in-process profile sends too."""
        if auth == Auth.PORTAL_SESSION:
            return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.portal_session}"}
        if auth == Auth.BENCH_SESSION:
            return {"Cookie": f"{BENCH_SESSION_COOKIE}={self.bench_session}"}
        if auth == Auth.TOKEN:
            return {"Authorization": f"Token {self.token}"}
        return {}

    def path(self, page: Page, n: int = 0) -> str:
        """The page's path; for a ticket page, the n-th sampled ticket."""
        return page.path.format(queue=self.queue, ticket=self.tickets[n % len(self.tickets)])


@dataclass(frozen=True)
class Profile:
    """Averages over the sampled requests of one page, served in this process."""

    statuses: list[int]
    queries: float
    server_ms: float
    sql_ms: float
    slowest_query_ms: float  # mean time of the statement that took the most time in all
    slowest_query: str
    slowest_plan: str  # EXPLAIN ANALYZE, for a SELECT

    @property
    def python_ms(self) -> float:
        return self.server_ms - self.sql_ms


def filed_tickets_delete() -> None:
    """Remove what the last run's ticket creation filed, so every run starts from the same data."""
    filed = Ticket.objects.filter(requester__email=BENCH_EMAIL)
    count = filed.count()
    if count:
        log.info("removing %s tickets the last run filed", f"{count:,}")
        filed.delete()


def bench_agent_prepare() -> Credentials:
    """An agent of three queues, signed in twice (portal session, database session) and with an API token."""
    cache.clear()  # the bench's own Redis database: no stale reference lists or sessions from a previous run
    queues = list(Queue.objects.filter(slug__in=BENCH_QUEUES).order_by("slug"))
    if len(queues) != len(BENCH_QUEUES):
        raise RuntimeError(f"The seeded queues {', '.join(BENCH_QUEUES)} are missing; run with --reseed.")
    User = get_user_model()
    agent, created = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"first_name": "Bench", "last_name": "Agent", "password": "!"}
    )
    if created:
        user_set_role(user=agent, role=Role.AGENT)
    for queue in queues:
        QueueMember.objects.get_or_create(queue=queue, user=agent)

    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    portal_session, bench_session = session_store(), DatabaseSessionStore()
    for session in (portal_session, bench_session):  # what django.contrib.auth.login stores
        session[SESSION_KEY] = agent._meta.pk.value_to_string(agent)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]  # the model backend, first by convention
        session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        session.save()
    DatabaseSessionStore.clear_expired()
    token, _ = Token.objects.get_or_create(user=agent)

    visible = Ticket.objects.filter(queue__in=queues).order_by("?").values_list("pk", flat=True)
    tickets = [f"{settings.TICKET_REFERENCE_PREFIX}-{pk}" for pk in visible[:SAMPLED_TICKETS]]
    if not tickets:
        raise RuntimeError("The bench agent's queues hold no tickets; run with --reseed.")
    assert portal_session.session_key and bench_session.session_key  # both saved above
    return Credentials(portal_session.session_key, bench_session.session_key, token.key, queues[0].slug, tickets)


class _QueryTimer:
    """A connection.execute_wrapper: counts and times every query, and each statement's total."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0
        self.statements: dict[str, list] = {}  # sql -> [seconds, executions, last params]

    def __call__(self, execute, sql, params, many, context):
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            statement = self.statements.setdefault(sql, [0.0, 0, None])
            statement[0] += elapsed
            statement[1] += 1
            statement[2] = params

    def slowest(self) -> tuple[float, str, Any]:
        """(mean seconds, sql, params) of the statement that took the most time in all."""
        if not self.statements:
            return 0.0, "", None
        sql, (seconds, executions, params) = max(self.statements.items(), key=lambda item: item[1][0])
        return seconds / executions, sql, params


def page_profile(page: Page, credentials: Credentials, *, warmup: int = 3, samples: int = 20) -> Profile:
    """Serve the page in this process, as gunicorn would, and split its time into SQL and the rest."""
    client = Client(headers={"Host": "127.0.0.1", **credentials.headers(page.auth)}, raise_request_exception=False)
    timer = _QueryTimer()
    statuses: set[int] = set()
    server = sql = queries = 0.0
    offset = random.randrange(len(credentials.tickets))
    with connection.execute_wrapper(timer):
        for n in range(warmup + samples):
            path = credentials.path(page, offset + n)
            if n == warmup:  # caches are warm now; count from here
                timer.reset()
            before_count, before_seconds = timer.count, timer.seconds
            started = perf_counter()
            if page.method == "POST":
                body = CREATE_BODY.replace("{n}", f"profile-{n}")
                response = client.post(path, data=body, content_type="application/json")
            else:
                response = client.get(path)
            elapsed = perf_counter() - started
            statuses.add(response.status_code)
            if n >= warmup:
                server += elapsed
                sql += timer.seconds - before_seconds
                queries += timer.count - before_count
    if any(status // 100 != 2 for status in statuses):
        log.warning("%s answered %s in process: its figures are not those of a working page", page.name, statuses)
    slowest_seconds, slowest_sql, slowest_params = timer.slowest()
    text, plan = "", ""
    if slowest_sql:
        text = connection.ops.compose_sql(slowest_sql, slowest_params)  # type: ignore[attr-defined]  # PostgreSQL's
        plan = _plan(slowest_sql, slowest_params)
    return Profile(
        statuses=sorted(statuses),
        queries=queries / samples,
        server_ms=server * 1000 / samples,
        sql_ms=sql * 1000 / samples,
        slowest_query_ms=slowest_seconds * 1000,
        slowest_query=text,
        slowest_plan=plan,
    )


def _plan(sql: str, params: Any) -> str:
    """EXPLAIN ANALYZE of a read; writes are not run twice."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return ""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
