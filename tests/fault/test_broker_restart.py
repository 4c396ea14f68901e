"""Redis, the broker, restarted twice under a running worker: the worker reconnects by itself and goes on working."""

import time

import pytest
from kombu import Connection

from supportdesk.celery import app

from .processes import BASE_DIR, PYTHON, WORKER, Process, Redis, database_url_under_test, django_env, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db]

TASK = "integrations.tasks.poll_runs_prune_task"  # any task: this one is quick and harmless


def _succeeded(log, times: int) -> bool:
    return sum(TASK in line and " succeeded in " in line for line in log.read_text().splitlines()) >= times


def test_a_worker_reconnects_by_itself_when_redis_restarts(tmp_path):
    # given: a worker on our own Redis, working
    redis, log = Redis(), tmp_path / "worker.log"
    env = django_env(DATABASE_URL=database_url_under_test(), REDIS_URL=redis.url)
    worker = Process([PYTHON, *WORKER, "--concurrency", "1", "--loglevel", "INFO"], env=env, log=log, cwd=BASE_DIR)
    broker = Connection(redis.url)
    try:
        app.send_task(TASK, connection=broker)
        wait_until(lambda: _succeeded(log, 1), seconds=60, what="the first task done")
        # when: Redis goes away twice, for a few seconds each time
        for _ in range(2):
            redis.stop()
            time.sleep(3)
            redis.start()
            time.sleep(1)
        # then: the same worker takes the next task, within seconds
        broker.release()
        broker = Connection(redis.url)
        app.send_task(TASK, connection=broker)
        took = wait_until(lambda: _succeeded(log, 2), seconds=30, what="a task done after the restarts")
        assert worker.alive()
    finally:
        worker.kill()
        redis.stop()
        broker.release()
    text = log.read_text()
    assert "AttributeError" not in text and "Unrecoverable error" not in text, text[-3000:]
    print(f"\nRedis restarted twice: the worker took the next task {took:.1f} s after it was back")
