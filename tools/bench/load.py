"""Load one page with wrk and read back the JSON line tools/bench/wrk/report.lua prints."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .pages import CREATE_BODY, Page

RESULT_PREFIX = "BENCH_RESULT "
REQUEST_TIMEOUT = "10s"  # wrk's default of 2 s would count slow-but-served requests as errors


@dataclass(frozen=True)
class LoadSettings:
    threads: int
    connections: int


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int  # connect, read and write errors and timeouts
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return path


def page_load(
    page: Page,
    *,
    base_url: str,
    path: str,
    headers: dict[str, str],
    seconds: int,
    settings: LoadSettings,
    paths_file: Path | None = None,
) -> Load:
    """Run wrk against one page; `paths_file` lists the paths a random-path page picks from."""
    command = [
        wrk_path(),
        f"--threads={settings.threads}",
        f"--connections={settings.connections}",
        f"--duration={seconds}s",
        f"--timeout={REQUEST_TIMEOUT}",
        f"--script={page.script}",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command += [f"{base_url}{path}", "--"]
    if page.method == "POST":
        command.append(CREATE_BODY)
    elif paths_file is not None:
        command.append(str(paths_file))
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((row for row in finished.stdout.splitlines() if row.startswith(RESULT_PREFIX)), None)
    if finished.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {page.name} ({finished.returncode}): {finished.stderr or finished.stdout}")
    data = json.loads(line.removeprefix(RESULT_PREFIX))
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non_2xx=data["non_2xx"],
        socket_errors=sum(data[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")),
        p50_ms=data["latency_p50_us"] / 1000,
        p90_ms=data["latency_p90_us"] / 1000,
        p99_ms=data["latency_p99_us"] / 1000,
        max_ms=data["latency_max_us"] / 1000,
    )
