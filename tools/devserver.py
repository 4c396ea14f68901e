"""`make run`: the portal, a Celery worker and beat, side by side; Ctrl-C stops them all.

Embedded defaults (SQLite, the filesystem broker) unless DATABASE_URL or CELERY_BROKER_URL are set. With no
AWS configured (no AWS_ENDPOINT_URL, no credentials), the local AWS sandbox (`python -m tools.sandbox`) runs too and
the portal talks to it.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from supportdesk.queues import QUEUES

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"


def _environment() -> dict[str, str]:
    VAR.mkdir(exist_ok=True)
    for folder in ("broker/out", "broker/processed", "broker/control", "media"):
        (VAR / folder).mkdir(parents=True, exist_ok=True)
    secret_file = VAR / "dev-secret-key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.base")
    env.setdefault("DJANGO_DEBUG", "false")  # the real product path; set DJANGO_DEBUG=true for debug pages
    env.setdefault("DJANGO_HTTPS", "false")
    env.setdefault("DJANGO_SECRET_KEY", secret_file.read_text().strip())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _dotenv_sets(name: str) -> bool:
    """Whether .env sets this (settings read it, but the environment wins: a default here would override it)."""
    dotenv = BASE_DIR / ".env"
    return dotenv.exists() and any(
        line.strip().removeprefix("export ").startswith(f"{name}=") for line in dotenv.read_text().splitlines()
    )


def _real_aws_configured(env: dict[str, str]) -> bool:
    credentials = env.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials"
    return bool(env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE")) or Path(credentials).exists()


def sandbox_wanted(env: dict[str, str]) -> bool:
    """The sandbox stands in for AWS unless an endpoint or real credentials say where AWS is."""
    return not env.get("AWS_ENDPOINT_URL") and not _real_aws_configured(env)


SANDBOX_ORIGINATION = "+12065550142"  # the sandbox's own origination number (tools/sandbox/smsvoice.py)


def _use_sandbox(env: dict[str, str], port: str) -> None:
    # Dummy keys: the sandbox reads only which account signed, and these map to its default account
    env.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "AKIASANDBOXDEFAULT00",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    if not env.get("SMS_ORIGINATION_IDENTITY") and not _dotenv_sets("SMS_ORIGINATION_IDENTITY"):
        env["SMS_ORIGINATION_IDENTITY"] = SANDBOX_ORIGINATION  # pages by call need a number to call from


def _use_sandbox_slack(env: dict[str, str], port: str, sandbox_port: str) -> bool:
    """Slack through the sandbox's fake (its chat view at /slack/) unless a real Slack app is configured. The
    signing secret is made per run: the sandbox signs its clicks with it and the portal checks them."""
    if env.get("SLACK_BOT_TOKEN") or _dotenv_sets("SLACK_BOT_TOKEN"):
        return False
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-sandbox",
            "SLACK_SIGNING_SECRET": secrets.token_hex(16),
            "SLACK_API_URL": f"http://127.0.0.1:{sandbox_port}/slack/api/",
            "SANDBOX_PORTAL_URL": f"http://127.0.0.1:{port}",
        }
    )
    return True


def port_taken(port: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the servers do: a port whose last connections are still closing (TIME_WAIT) is free to listen on
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", int(port)))
        except OSError:
            return True
    return False


def _ports_taken(ports: dict[str, str]) -> list[str]:
    """What to say for each port another program holds (often an earlier `make run` still going)."""
    return [
        f"Port {port} is in use (another `make run` still running?): stop that, or start with {variable}=<free port>."
        for variable, port in ports.items()
        if port_taken(port)
    ]


def _use_local_metrics(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """/metrics and the worker's metrics port readable from this machine without a token (METRICS_* in the
    environment or .env win), and each process group its own multiprocess folder (gunicorn's two workers, the
    worker's pool), emptied when it starts. What each process adds to the environment."""
    for name, value in {"METRICS_ALLOWED_NETWORKS": "127.0.0.1/32,::1/128", "WORKER_METRICS_PORT": "9808"}.items():
        if not env.get(name) and not _dotenv_sets(name) and not env.get("METRICS_TOKEN"):
            env[name] = value
    env.setdefault("WORKER_METRICS_ADDRESS", "127.0.0.1")
    folders = {name: VAR / "prometheus" / name for name in ("web", "worker")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: {"PROMETHEUS_MULTIPROC_DIR": str(folder)} for name, folder in folders.items()}


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def web_command(port: str) -> list[str]:
    """gunicorn, two workers, the access log on stdout without password-reset keys (supportdesk/gunicorn.py)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "supportdesk.wsgi:application",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "--logger-class",
        "supportdesk.gunicorn.SecretsRedactedLogger",
    ]


def main() -> int:
    env = _environment()
    port = env.get("PORT", "8000")
    if not _dotenv_sets("SITE_URL"):
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")  # notifications link to the port served
    sandbox_port = env.get("SANDBOX_PORT", "4566")
    sandbox = sandbox_wanted(env)
    per_process = _use_local_metrics(env)
    ports = {"PORT": port, **({"SANDBOX_PORT": sandbox_port} if sandbox else {})}
    if env.get("WORKER_METRICS_PORT"):
        ports["WORKER_METRICS_PORT"] = env["WORKER_METRICS_PORT"]
    taken = _ports_taken(ports)
    if taken:
        print("\n".join(taken), file=sys.stderr)
        return 1
    sandbox_slack = False
    if sandbox:
        _use_sandbox(env, sandbox_port)
        env.setdefault("SANDBOX_PORTAL_URL", f"http://127.0.0.1:{port}")  # where the sandbox pushes alarms
        sandbox_slack = _use_sandbox_slack(env, port, sandbox_port)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "collectstatic", "--noinput", "-v", "0")  # whitenoise serves them, as in production
    # the demo's mailbox reads var/maildir: mail waiting there becomes tickets and a comment within a minute
    _manage(env, "seed_demo", "--maildir", str(VAR / "maildir"), *(["--sandbox"] if sandbox else []))
    _manage(env, "seed_demo_history")  # ninety days behind the dashboards; once, on the first start
    celery = [sys.executable, "-m", "celery", "-A", "supportdesk"]
    commands = {
        "web": web_command(port),
        # One worker for every queue (production starts one per kind: docker-compose.yml)
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2", "-Q", ",".join(QUEUES)],
        "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(VAR / "celerybeat-schedule")],
    }
    if sandbox:  # first, so it listens before the worker's first call
        # One epoch for the run: a restarted sandbox carries on with its story rather than telling it again
        epoch = datetime.now(UTC).replace(microsecond=0).isoformat()
        sandbox_command = [sys.executable, "-m", "tools.sandbox", "--port", sandbox_port, "--epoch", epoch]
        commands = {"sandbox": sandbox_command, **commands}
    names = ", ".join(commands)
    print(f"\n  Supportdesk is at http://127.0.0.1:{port}/  (Ctrl-C stops {names})", flush=True)
    if sandbox:
        print(
            f"  No AWS configured: using the local AWS sandbox at {env['AWS_ENDPOINT_URL']} (three demo accounts;"
            " tickets from Trusted Advisor and Health within a minute, and a CloudWatch alarm that fires and clears)."
            " Set AWS_ENDPOINT_URL or AWS credentials to use another.",
            flush=True,
        )
        print(
            f"  Texts and calls the portal sends (pages, verification codes) go to the sandbox's phone page instead:"
            f" {env['AWS_ENDPOINT_URL']}/phone/ (one-tap links work from there).",
            flush=True,
        )
    if env.get("WORKER_METRICS_PORT"):
        print(
            f"  Metrics (Prometheus text): curl http://127.0.0.1:{port}/metrics and, for the worker's tasks,"
            f" http://127.0.0.1:{env['WORKER_METRICS_PORT']}/metrics"
            + ("" if env.get("METRICS_TOKEN") else " (from this machine only, no token)."),
            flush=True,
        )
    if sandbox_slack:
        print(
            f"  No Slack configured: Slack messages go to the sandbox's chat view, http://127.0.0.1:{sandbox_port}/slack/"
            " (its buttons and /supportdesk act on the portal). Set SLACK_BOT_TOKEN to use a real workspace.",
            flush=True,
        )
    print(flush=True)
    stopping = False

    def stop(*_) -> None:
        nonlocal stopping
        stopping = True

    for stopping_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal closed
        signal.signal(stopping_signal, stop)
    return 0 if supervise(commands, env=env, stop_requested=lambda: stopping, per_process=per_process) else 1


RESTARTS_ALLOWED = 5  # within RESTART_WINDOW seconds: a process that keeps dying is broken, not unlucky
RESTART_WINDOW = 60.0


def supervise(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str],
    stop_requested: Callable[[], bool],
    per_process: dict[str, dict[str, str]] | None = None,
) -> bool:
    """Run the commands until asked to stop, each with ``env`` and what ``per_process`` adds for it. One that dies
    (a killed worker, say) is started again while the rest keep serving; one that keeps dying stops them all,
    saying so. True for a requested stop."""
    envs = {name: env | (per_process or {}).get(name, {}) for name in commands}
    processes = {name: subprocess.Popen(cmd, cwd=BASE_DIR, env=envs[name]) for name, cmd in commands.items()}
    deaths: dict[str, list[float]] = {name: [] for name in commands}
    try:
        while not stop_requested():
            for name, process in processes.items():
                if process.poll() is None:
                    continue
                if stop_requested():  # Ctrl-C reaches the children too: they are stopping, not dying
                    return True
                now = time.monotonic()
                deaths[name] = [t for t in deaths[name] if now - t < RESTART_WINDOW] + [now]
                if len(deaths[name]) > RESTARTS_ALLOWED:
                    print(
                        f"{name} exited with {process.returncode} {len(deaths[name])} times within a minute; "
                        "stopping everything (its messages above say why).",
                        flush=True,
                    )
                    return False
                print(
                    f"{name} exited with {process.returncode}; starting it again (the rest keep running).", flush=True
                )
                processes[name] = subprocess.Popen(commands[name], cwd=BASE_DIR, env=envs[name])
            time.sleep(0.5)
        return True
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
