"""What /metrics says after real activity: a request, a dead notification, a poll, a ticket, an SLA breach, a
message waiting in a queue; and what it costs: a fixed number of queries, a quick answer with the broker down."""

import socket
import time
from datetime import timedelta

import psycopg
import pytest
from celery import current_app
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.services import sla_sweep
from integrations.accounts.models import ApiState
from integrations.models import AwsAccount, PollRun
from notifications.models import Notification
from observability.collectors import SupportdeskCollector
from supportdesk.queues import POLLING, QUEUES
from tests.factories import QueueFactory, TicketFactory, severity

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_a_request_is_counted_by_view_and_status_with_its_latency_and_queries(client, scrape):
    before = scrape()
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    after = scrape()
    labels = {"view": "account_login", "method": "GET"}
    responses = "django_http_responses_total_by_status_view_method_total"
    assert (after.value(responses, status="200", **labels) or 0) - (
        before.value(responses, status="200", **labels) or 0
    ) == 1
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert (after.value(latency, **labels) or 0) - (before.value(latency, **labels) or 0) == 1
    queries = "django_db_execute_total"
    assert after.value(queries, alias="default", vendor="postgresql") > before.value(
        queries, alias="default", vendor="postgresql"
    )


def test_the_outbox_by_state_and_the_age_of_the_oldest_unsent(scrape, frozen):
    ticket = TicketFactory()
    base = {"ticket": ticket, "email": "ops@example.com", "event": "notice", "reason": "r", "subject": "s", "body": "b"}
    Notification.objects.filter(ticket=ticket).delete()  # what filing it enqueued: this test counts its own
    rows = [
        ("new", "pending", 0, timedelta(minutes=3)),
        ("retry-1", "pending", 2, timedelta(minutes=12)),  # the oldest unsent
        ("retry-2", "pending", 5, timedelta(minutes=1)),
        ("refused", "failed", 1, timedelta(hours=2)),
        ("gone", "dead", 40, timedelta(days=2)),
        ("done", "sent", 1, timedelta(days=3)),
    ]
    for key, status, attempts, age in rows:
        Notification.objects.create(key=key, status=status, attempts=attempts, created_at=NOW - age, **base)
    metrics = scrape()
    by_state = {
        state: metrics.value("supportdesk_outbox_notifications", state=state)
        for state in ("pending", "retrying", "failed", "dead")
    }
    assert by_state == {"pending": 1, "retrying": 2, "failed": 1, "dead": 1}
    assert metrics.value("supportdesk_outbox_oldest_unsent_age_seconds") == 12 * 60


def test_nothing_unsent_reads_as_zero_not_as_a_missing_series(scrape):
    Notification.objects.all().delete()
    metrics = scrape()
    assert metrics.value("supportdesk_outbox_oldest_unsent_age_seconds") == 0
    assert metrics.value("supportdesk_outbox_notifications", state="dead") == 0


def _run(account: AwsAccount, source: str, outcome: str, ago: timedelta) -> None:
    PollRun.objects.create(
        account=account,
        source=source,
        outcome=outcome,
        started_at=NOW - ago - timedelta(seconds=30),
        finished_at=NOW - ago,
    )


def test_poll_age_per_account_and_source_counts_from_the_last_success(scrape, frozen, prod_account):
    # given: Health failed since its last success 40 minutes ago; Trusted Advisor partly failed 10 minutes ago
    _run(prod_account, "health", "ok", timedelta(minutes=40))
    _run(prod_account, "health", "failed", timedelta(minutes=5))
    _run(prod_account, "trusted_advisor", "partial", timedelta(minutes=10))
    # a new account whose every poll failed, since its first 45 minutes ago
    failing = AwsAccount.objects.create(account_id="444455556666", name="New", owner_queue=QueueFactory())
    _run(failing, "health", "failed", timedelta(minutes=45))
    _run(failing, "health", "failed", timedelta(minutes=1))
    # an account on a plan without the APIs is not polled: its old polls raise no alarm
    basic = AwsAccount.objects.create(
        account_id="777788889999", name="Basic", owner_queue=QueueFactory(), support_api=ApiState.PLAN_TOO_LOW
    )
    _run(basic, "health", "ok", timedelta(days=3))
    # when
    ages = scrape().series("supportdesk_poll_last_success_age_seconds")

    # then
    def key(account, source):
        return frozenset({"account_id": account.account_id, "account_name": account.name, "source": source}.items())

    assert ages == {
        key(prod_account, "health"): 40 * 60,
        key(prod_account, "trusted_advisor"): 10 * 60,
        key(failing, "health"): 45 * 60 + 30,  # since the first poll began
    }


def test_poll_intervals_come_from_the_periodic_tasks(scrape):
    metrics = scrape()
    assert metrics.value("supportdesk_poll_interval_seconds", source="health") == 300
    assert metrics.value("supportdesk_poll_interval_seconds", source="trusted_advisor") == 1800


def test_tickets_by_kind_and_sla_breaches(scrape, time_machine):
    time_machine.move_to(NOW, tick=False)
    before = scrape()
    TicketFactory.create_batch(2, severity=severity("SEV3"))
    urgent = TicketFactory(severity=severity("SEV1"))
    # when: past the SEV1's response target, and the sweep records the breach
    time_machine.move_to(NOW + severity("SEV1").response_target + timedelta(minutes=1), tick=False)
    sla_sweep()
    after = scrape()
    opened = "supportdesk_tickets_opened_total"
    assert after.value(opened, kind="incident") - (before.value(opened, kind="incident") or 0) == 3
    assert after.value("supportdesk_sla_breaching_tickets") == 1
    assert after.value("supportdesk_sla_breaches_total", target="response") == 1
    assert after.value("supportdesk_sla_breaches_total", target="resolution") == 0
    urgent.refresh_from_db()
    assert urgent.is_breaching()


@pytest.fixture
def polling_queue():
    with current_app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete(POLLING)
        yield client
        client.delete(POLLING)


def test_queue_depth_is_read_from_the_broker(scrape, polling_queue):
    for account_id in (1, 2, 3):
        current_app.send_task("integrations.tasks.health_poll_task", args=[account_id], queue=POLLING)
    metrics = scrape()
    assert metrics.value("supportdesk_broker_up") == 1
    assert metrics.value("supportdesk_broker_queue_messages", queue=POLLING) == 3
    assert {dict(labels)["queue"] for labels in metrics.series("supportdesk_broker_queue_messages")} == set(QUEUES)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed


@pytest.mark.parametrize("broker", ["refusing", "black hole"])
def test_a_broker_down_costs_the_queue_gauges_not_the_scrape(scrape, monkeypatch, broker):
    url = f"redis://127.0.0.1:{_closed_port()}/0" if broker == "refusing" else "redis://192.0.2.1:6379/0"  # TEST-NET
    scrape()  # the process's first request imports every view: not what is timed here
    monkeypatch.setattr(current_app.conf, "broker_url", url)
    monkeypatch.setattr(current_app.conf, "broker_read_url", url)
    started = time.monotonic()
    metrics = scrape()
    assert time.monotonic() - started < 4
    assert metrics.value("supportdesk_broker_up") == 0
    assert metrics.series("supportdesk_broker_queue_messages") == {}
    assert metrics.value("supportdesk_database_up") == 1  # the rest is there


def _fill(rows: int) -> None:
    queue = QueueFactory()
    for n in range(rows):
        account = AwsAccount.objects.create(account_id=f"{100000000000 + n}", name=f"Account {n}", owner_queue=queue)
        for source in ("health", "trusted_advisor"):
            _run(account, source, "ok", timedelta(minutes=n + 1))
            _run(account, source, "failed", timedelta(minutes=n))
    ticket = TicketFactory()
    base = {"ticket": ticket, "email": "ops@example.com", "event": "notice", "reason": "r", "subject": "s", "body": "b"}
    for n in range(rows):
        Notification.objects.create(key=f"k{n}", status=["pending", "failed", "dead"][n % 3], attempts=n % 2, **base)
    TicketFactory.create_batch(rows // 5 or 1)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_database_gauges_take_a_fixed_number_of_queries(rows, django_assert_max_num_queries):
    _fill(rows)
    # 11 statements, and the savepoint a test's transaction makes of the collector's own
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(13):
        families = {family.name for family in SupportdeskCollector().collect()}
    assert "supportdesk_poll_last_success_age_seconds" in families
    assert len(queries) == 13  # the same for 3 rows and 30: one per gauge group, none per row


def test_a_database_that_does_not_answer_costs_its_gauges_not_the_scrape(client, scrape, monkeypatch):
    # given: another session holds the outbox table, so reading it waits, up to the collector's statement timeout
    monkeypatch.setattr("observability.collectors.DATABASE_TIMEOUT_MS", 300)
    client.get("/accounts/login/")  # the process's first request imports every view: not what is timed here
    settings_dict = connection.settings_dict
    holder = psycopg.connect(
        dbname=settings_dict["NAME"], user=settings_dict["USER"], host=settings_dict["HOST"], port=settings_dict["PORT"]
    )
    try:
        holder.execute("SET lock_timeout = '10s'")  # never waits for ever on someone else's session
        holder.execute("LOCK TABLE notifications_notification IN ACCESS EXCLUSIVE MODE")
        # when
        started = time.monotonic()
        metrics = scrape()
        # then
        assert time.monotonic() - started < 3
        assert metrics.value("supportdesk_database_up") == 0
        assert metrics.series("supportdesk_outbox_notifications") == {}
        assert metrics.value("supportdesk_broker_up") == 1
    finally:
        holder.rollback()
        holder.close()


def test_on_rabbitmq_each_queue_is_read_with_a_passive_declare(scrape, monkeypatch):
    # Read only: the test machine's RabbitMQ is shared, so nothing is published to its queues here
    url = "amqp://guest:guest@127.0.0.1:5672//"
    monkeypatch.setattr(current_app.conf, "broker_url", url)
    monkeypatch.setattr(current_app.conf, "broker_read_url", url)
    metrics = scrape()
    assert metrics.value("supportdesk_broker_up") == 1
    depths = metrics.series("supportdesk_broker_queue_messages")
    assert {dict(labels)["queue"] for labels in depths} == set(QUEUES)
    assert all(depth >= 0 for depth in depths.values())


def test_wrong_broker_credentials_cost_the_queue_gauges_not_the_scrape(scrape, monkeypatch):
    url = "amqp://guest:not-the-password@127.0.0.1:5672//"
    monkeypatch.setattr(current_app.conf, "broker_url", url)
    monkeypatch.setattr(current_app.conf, "broker_read_url", url)
    metrics = scrape()
    assert metrics.value("supportdesk_broker_up") == 0
    assert metrics.value("supportdesk_database_up") == 1


def test_a_server_error_is_counted_for_the_5xx_alert(client, metrics_token, scrape, monkeypatch):
    # given: a view that fails (here the scrape itself, broken for one request)
    responses = "django_http_responses_total_by_status_view_method_total"
    labels = {"status": "500", "view": "observability:metrics", "method": "GET"}
    before = scrape().value(responses, **labels) or 0
    with monkeypatch.context() as broken:
        broken.setattr("observability.views.scrape", lambda *collectors: 1 / 0)
        client.raise_request_exception = False
        failed = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        client.raise_request_exception = True
    assert failed.status_code == 500
    # then
    assert scrape().value(responses, **labels) == before + 1
