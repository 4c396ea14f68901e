"""Request ids: taken from X-Request-ID when sane, else made; returned; carried into the Celery tasks a request
queues and the tasks those queue, so one ticket's path is followed from the click to the SNS publish."""

import json
import re
import sys
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from kombu import Queue
from rest_framework.authtoken.models import Token

from notifications.models import Channel, Notification, QueueChannel
from notifications.tasks import notification_deliver_task, notifications_sweep_task
from supportdesk import requestid
from supportdesk.celery import app
from supportdesk.queues import QUEUES
from tickets.models import Queue as TicketQueue

from .awsgateway.conftest import aws_env  # noqa: F401  dummy credentials, for this process and the worker
from .fault.processes import BASE_DIR, Process, Redis, database_url_under_test, django_env, free_port, wait_until
from .notifications.moto_sns import moto_server, received, topic_with_queue

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.mark.django_db
def test_a_sane_request_id_is_kept_and_returned(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a:1.2_x")
    assert response["X-Request-ID"] == "lb-7f3a:1.2_x"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent",
    [None, "", "two words", 'forged\n{"level": "ERROR"}', '"quoted"', "x" * 129, "caf\u00e9", "tab\there"],
)
def test_a_missing_or_malformed_request_id_is_replaced_by_a_made_one(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    first, second = client.get("/accounts/login/", **headers), client.get("/accounts/login/", **headers)
    assert MADE.fullmatch(first["X-Request-ID"]) and MADE.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_task_queued_under_a_request_id_carries_it_and_the_user_in_its_message():
    # given: a queue of this test's own on the real broker
    queue = Queue(f"test-request-id-{uuid.uuid4().hex}", auto_delete=True)
    with app.connection_for_write() as connection:
        queue(connection.default_channel).declare()
        # when: a task is queued while a request's id is bound, and another with none
        with requestid.bound(request_id="click-1", user_id=7):
            notification_deliver_task.apply_async((1,), queue=queue.name)
        notification_deliver_task.apply_async((2,), queue=queue.name)
        # then
        carried = queue(connection.default_channel).get(no_ack=True)
        plain = queue(connection.default_channel).get(no_ack=True)
        queue(connection.default_channel).delete()
    assert (carried.headers["request_id"], carried.headers["user_id"]) == ("click-1", 7)
    assert "request_id" not in plain.headers


def test_a_task_run_in_place_keeps_the_callers_id_and_gives_it_back_after(json_log):
    with requestid.bound(request_id="outer"):
        notifications_sweep_task.apply()
        assert requestid.request_id() == "outer" and requestid.task_fields() == (None, None)
    assert requestid.request_id() is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_tickets_path_from_the_click_to_the_sns_publish_carries_the_clicks_request_id(requester, tmp_path):
    # given: an SNS topic (a moto server) that hears every new ticket, and a broker (a Redis) of this test's own
    with moto_server() as aws:
        topic, inbox = topic_with_queue("ops", endpoint_url=aws)
        channel = Channel.objects.create(name="Ops", kind=Channel.Kind.SNS, topic_arn=topic)
        QueueChannel.objects.create(queue=TicketQueue.objects.get(is_default=True), channel=channel)
        broker = Redis()
        env = django_env(
            DATABASE_URL=database_url_under_test(),
            CELERY_BROKER_URL=broker.url,
            REDIS_URL=broker.url,
            AWS_ENDPOINT_URL=aws,
            LOG_FORMAT="json",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
        )
        web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
        port = free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "supportdesk.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        gunicorn += ["--access-logfile", "-", "--logger-class", "supportdesk.gunicorn.SecretsRedactedLogger"]
        worker = [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "-Q", ",".join(QUEUES)]
        worker += ["--pool", "solo", "--loglevel", "INFO"]
        processes = [Process(gunicorn, env=env, log=web_log, cwd=BASE_DIR)]
        try:
            wait_until(lambda: _answers(f"http://127.0.0.1:{port}/health/live"), seconds=60, what="gunicorn")
            # when: the requester files a ticket through the portal, with a request id from their proxy
            token = Token.objects.create(user=requester).key
            filed = _post(
                f"http://127.0.0.1:{port}/api/tickets/",
                {"title": "Checkout is down", "severity": "SEV2"},
                {"Authorization": f"Token {token}", "X-Request-ID": "abc-click-1"},
            )
            # and a notification left due (a broker outage, say) is re-queued by a sweep queued under another id
            swept = Notification.objects.create(
                key=f"swept-{uuid.uuid4().hex}",
                channel=channel,
                event="notice",
                reason="swept",
                subject="Swept",
                body="Left pending",
                next_attempt_at=timezone.now() - timedelta(minutes=1),
            )
            with requestid.bound(request_id="sweep-click-2"), app.connection_for_write(broker.url) as connection:
                notifications_sweep_task.apply_async(connection=connection)
            processes.append(Process(worker, env=env, log=worker_log, cwd=BASE_DIR))
            wait_until(lambda: _published(worker_log) >= 2, seconds=60, what="two SNS publishes")
            delivered = received(inbox, endpoint_url=aws)
        finally:
            for process in processes:
                process.kill()
            broker.stop()
    # then: the request's lines, the access line, and the worker's SNS publish carry the click's id
    assert filed["status"] == 201, filed
    web = _json_lines(web_log)
    access = [line for line in web if line["logger"] == "gunicorn.access" and line.get("path") == "/api/tickets/"]
    assert access and access[0]["request_id"] == "abc-click-1" and access[0]["user_id"] == requester.pk
    published = [line for line in _json_lines(worker_log) if line["logger"] == "awsgateway.sns"]
    by_id = {line["request_id"]: line for line in published}
    assert set(by_id) == {"abc-click-1", "sweep-click-2"}, published
    click = by_id["abc-click-1"]
    assert click["task_name"] == "notifications.tasks.notification_deliver_task" and click["user_id"] == requester.pk
    assert topic in click["message"] and click["task_id"]
    # the sweep's deliver task, queued by the sweep task, carried the sweep's id on
    assert by_id["sweep-click-2"]["task_name"] == "notifications.tasks.notification_deliver_task"
    assert Notification.objects.get(pk=swept.pk).status == Notification.Status.SENT
    assert len(delivered) == 2 and "Swept" in {m["Subject"] for m in delivered}
    # and between tasks the worker's lines carry none (task_postrun unbinds them): "received" is logged before a
    # task runs, the last one after the sweep had finished
    received_lines = [line for line in _json_lines(worker_log) if line["message"].endswith(" received")]
    assert len(received_lines) == 3
    assert all(line["request_id"] is None and "task_id" not in line for line in received_lines)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _post(url: str, body: dict, headers: dict) -> dict:
    response = requests.post(url, json=body, headers=headers, timeout=30)
    return {"status": response.status_code, "body": response.text}


def _json_lines(path) -> list[dict]:
    lines = []
    for text in path.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def _published(path) -> int:
    return path.read_text().count('"logger": "awsgateway.sns"') if path.exists() else 0
