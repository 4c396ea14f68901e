"""Services and workers a fault test starts for itself on spare ports, so it may kill them: never the shared ones."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from glob import glob
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PYTHON = sys.executable
WORKER = ["-m", "celery", "-A", "supportdesk", "worker"]


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], object], *, seconds: float, step: float = 0.1, what: str = "it") -> float:
    """Seconds it took ``condition`` to hold; fails the test after ``seconds``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(step)
    return time.monotonic() - started


def listening(port: int) -> bool:
    with closing(socket.socket()) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def database_url_under_test() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(child) for child in f.read().split()}


class Process:
    """A child in its own process group: killed with its children, as a container stop kills them."""

    def __init__(self, args: list[str], *, env: dict[str, str] | None = None, log: Path | None = None, **kwargs):
        self.log = log
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115  closed with the process
        self.popen = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def alive(self) -> bool:
        return self.popen.poll() is None


class Redis:
    """A Redis of the test's own: a broker to lose and restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.start()

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is missing: fault tests start a Redis of their own (Debian's redis-server).")
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = Process(args)
        wait_until(lambda: listening(self.port), seconds=10, what="Redis listening")

    def stop(self) -> None:
        self.process.kill()


class Postgres:
    """A PostgreSQL of the test's own in a temporary folder, run as ``postgres`` (initdb refuses root)."""

    def __init__(self) -> None:
        found = sorted(glob("/usr/lib/postgresql/*/bin"))
        if not found or shutil.which("pg_dump") is None:
            pytest.fail("PostgreSQL's programs are missing: fault tests start one of their own (Debian's postgresql).")
        binaries = found[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="supportdesk-fault-pg-"))  # not under pytest's root-only tmp
        self.pg_ctl, self.data, self.port = f"{binaries}/pg_ctl", self.folder / "data", free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._as_postgres(f"{binaries}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def _as_postgres(self, *args: str) -> None:
        runuser = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*runuser, *args], check=True, capture_output=True, timeout=120)

    def _ctl(self, action: str, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(self.pg_ctl, action, "-D", str(self.data), "-w", "-o", options, *args)

    def copy_from(self, url: str) -> None:
        """Schema and rows of the database at ``url``."""
        dump = subprocess.run(["pg_dump", "--no-owner", "--no-acl", url], capture_output=True, check=True)
        load = ["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url]
        subprocess.run(load, input=dump.stdout, capture_output=True, check=True)

    def start(self) -> None:
        self._ctl("start", "-l", str(self.folder / "log"))  # a log file: the server must not hold our pipes

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast", "-l", str(self.folder / "log"))

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def django_env(**values: str) -> dict[str, str]:
    """The environment of a Django process under test settings: ours, minus what ties it to the shared services."""
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "CACHE_URL", "PYTEST_XDIST_WORKER")}
    env.update(DJANGO_SETTINGS_MODULE="supportdesk.settings.test", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    env.update(values)
    return env


BASE_DIR = settings.BASE_DIR
