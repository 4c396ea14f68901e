"""Several portal processes over one test database, as `make run`'s gunicorn workers are."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


class PortalProcess:
    def __init__(self, *, cache_url: str, key_prefix: str):
        db = connection.settings_dict  # the test database, which the test commits to (transaction=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.accounts.worker_settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CACHE_URL": cache_url,
            "WORKER_KEY_PREFIX": key_prefix,
            "PYTHONPATH": str(ROOT),
        }
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("worker.py"))],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, expression: str):
        self._proc.stdin.write(expression.replace("\n", " ") + "\n")
        self._proc.stdin.flush()
        answer = json.loads(self._proc.stdout.readline())
        if "error" in answer:
            raise AssertionError(f"{expression} raised {answer['error']}")
        return answer["value"]

    def stop(self) -> None:
        self._proc.stdin.close()
        self._proc.wait(timeout=10)
