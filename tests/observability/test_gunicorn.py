"""gunicorn as `make run` and the image start it, in multiprocess mode: whichever worker answers /metrics, it
counts every worker's requests; an earlier run's files are gone before the first worker starts."""

import os
import subprocess
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tools.devserver import web_command

from ..fault.processes import database_url_under_test, free_port, listening, wait_until
from .conftest import TOKEN, parsed

REQUESTS = 40


@pytest.mark.django_db
def test_metrics_sum_the_requests_of_every_gunicorn_worker(tmp_path: Path):
    # given: two workers (make run's), a folder holding an earlier run's file
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier run")
    port = free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "DATABASE_URL": database_url_under_test(),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_TOKEN": TOKEN,
    }
    server = subprocess.Popen(web_command(str(port)), env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: listening(port), seconds=60, what="gunicorn")
        assert not (metrics_dir / "counter_999999.db").exists()
        # when: requests, spread by the kernel over both workers
        with requests.Session() as session:
            for _ in range(REQUESTS):
                # the first waits for a worker to finish starting: seconds on a busy machine (tests in parallel)
                assert session.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=60).status_code == 200
        # then: every scrape, whichever worker answers, has them all
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        for _ in range(4):
            metrics = parsed(requests.get(f"http://127.0.0.1:{port}/metrics", headers=bearer, timeout=10).text)
            served = "django_http_responses_total_by_status_view_method_total"
            assert metrics.value(served, status="200", view="account_login", method="GET") == REQUESTS
            assert metrics.value("supportdesk_database_up") == 1
        pids = {name.rsplit("_", 1)[1] for name in os.listdir(metrics_dir) if name.startswith("counter_")}
        assert len(pids) == 2
    finally:
        server.terminate()
        server.wait(timeout=20)
