"""Celery task metrics: counted by Celery's signals where tasks run, summed over a prefork pool's processes in
multiprocess mode, and served by the worker itself on WORKER_METRICS_PORT under the web's access rule."""

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from celery import current_app, shared_task
from django.conf import settings
from prometheus_client import REGISTRY

from integrations.tasks import health_poll_task

from ..fault.processes import PYTHON, WORKER, Process, database_url_under_test, free_port, listening, wait_until
from .conftest import TOKEN, parsed

SKIPPED = health_poll_task.name  # an account that does not exist: the task ends at once, "skipped"


@shared_task(name="tests.observability.failing_task")
def failing_task() -> None:
    raise ValueError("as the test wants")


def counted(task: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("supportdesk_celery_tasks_total", {"task": task, "outcome": outcome}) or 0


def timed(task: str) -> float:
    return REGISTRY.get_sample_value("supportdesk_celery_task_duration_seconds_count", {"task": task}) or 0


@pytest.mark.django_db
def test_a_task_run_is_counted_by_outcome_with_its_run_time():
    succeeded, failed, durations = counted(SKIPPED, "succeeded"), counted(failing_task.name, "failed"), timed(SKIPPED)
    assert health_poll_task.apply(args=[987654321]).get() == "skipped: disabled or gone"
    failing_task.apply()
    assert counted(SKIPPED, "succeeded") == succeeded + 1
    assert counted(failing_task.name, "failed") == failed + 1
    assert timed(SKIPPED) == durations + 1


@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_serves_the_tasks_of_all_its_processes_on_its_port(tmp_path: Path):
    # given: a leftover file of an earlier run, and a worker of two processes on a queue of this test's own
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier run")
    port, queue = free_port(), f"metrics-test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "DATABASE_URL": database_url_under_test(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WORKER_METRICS_PORT": str(port),
        "WORKER_METRICS_ADDRESS": "127.0.0.1",
        "METRICS_TOKEN": TOKEN,
        "METRICS_ALLOWED_NETWORKS": "",
    }
    args = [PYTHON, *WORKER, "-Q", queue, "-P", "prefork", "-c", "2", "-n", f"{queue}@%h", "--loglevel", "WARNING"]
    worker = Process(args, env=env, cwd=settings.BASE_DIR, log=tmp_path / "worker.log")
    url = f"http://127.0.0.1:{port}/metrics"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    try:
        wait_until(lambda: listening(port), seconds=60, what="the worker's metrics port")
        assert not (metrics_dir / "counter_999999.db").exists()
        # when: eight quick tasks, spread over both processes, and a message for a task the worker does not know
        for n in range(8):
            current_app.send_task(SKIPPED, args=[900000 + n], queue=queue)
        current_app.send_task("tests.observability.no_such_task", queue=queue)

        def scraped():
            return parsed(requests.get(url, headers=bearer, timeout=5).text)

        wait_until(
            lambda: scraped().value("supportdesk_celery_tasks_total", task=SKIPPED, outcome="succeeded") == 8,
            seconds=60,
            what="eight tasks counted",
        )
        # then: the sum over the pool's processes, their run times, the unknown one rejected
        metrics = scraped()
        assert metrics.value("supportdesk_celery_task_duration_seconds_count", task=SKIPPED) == 8
        rejected = metrics.value(
            "supportdesk_celery_tasks_total", task="tests.observability.no_such_task", outcome="rejected"
        )
        assert rejected == 1
        pids = {name.rsplit("_", 1)[1] for name in os.listdir(metrics_dir) if name.startswith("counter_")}
        assert len(pids) >= 2  # the files of more than one process were summed
        assert requests.get(url, timeout=5).status_code == 404  # no token
        assert requests.get(f"http://127.0.0.1:{port}/other", headers=bearer, timeout=5).status_code == 404
    finally:
        if worker.alive():
            os.killpg(worker.popen.pid, signal.SIGTERM)
            try:
                worker.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
