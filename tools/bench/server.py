"""The portal under gunicorn on a free 127.0.0.1 port; stopped, with its workers, whatever happens."""

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("bench.server")

WORKERS = 2
START_TIMEOUT = 60  # seconds for /healthz to answer
STOP_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(*, env: dict[str, str], cwd: Path, log_path: Path) -> Iterator[str]:
    """Yield the base URL of a running portal; on exit stop the server's whole process group."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "supportdesk.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--no-control-socket",
    ]
    with log_path.open("ab") as server_log:
        # A session of its own: one killpg reaches the arbiter and its workers, and nothing else.
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(process, f"{base_url}/healthz", log_path)
        log.info("gunicorn (%d sync workers) serves %s", WORKERS, base_url)
        yield base_url
    finally:
        _stop(process)


def _wait_healthy(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {START_TIMEOUT} s; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            log.warning("gunicorn did not stop on %s", sig.name)
