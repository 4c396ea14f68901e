"""The production stack description and settings hold up: compose validates, `check --deploy` is clean."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from supportdesk.queues import DEFAULT, INGESTION, KPIS, NOTIFICATIONS, POLLING, QUEUES, SWEEPS

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_ENV = {**os.environ, "DJANGO_SECRET_KEY": "x" * 60, "POSTGRES_PASSWORD": "secret"}


def test_compose_file_validates_with_debian_docker_compose():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is missing: `make test` installs Debian's package.")
    result = subprocess.run([binary, "config", "-q"], cwd=ROOT, env=COMPOSE_ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_file_validates_with_docker_compose_v2():
    docker = shutil.which("docker")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True) if docker else None
    if probe is None or probe.returncode != 0:
        pytest.skip("the docker compose v2 plugin is not installed on this machine")
    result = subprocess.run(
        [docker, "compose", "config", "-q"], cwd=ROOT, env=COMPOSE_ENV, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_secrets():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is missing: `make test` installs Debian's package.")
    env = {k: v for k, v in COMPOSE_ENV.items() if k not in {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"}}
    result = subprocess.run([binary, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr or "POSTGRES_PASSWORD" in result.stderr


def test_check_deploy_passes_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "support.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk"),
        "CACHE_URL": "redis://127.0.0.1:6379/1",
    }
    for test_only in ("DJANGO_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set for other tests in this process
        env.pop(test_only, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "supportdesk.settings.base"
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_models_and_migrations_agree():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("unset", "warning"),
    [
        ("CACHE_URL", "supportdesk.W001"),
        ("CELERY_BROKER_URL", "supportdesk.W002"),
        ("DATABASE_URL", "supportdesk.W003"),
    ],
)
def test_check_deploy_names_what_one_host_would_keep_to_itself(unset, warning):
    # given: production settings, but for one shared service left at its single-host default
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "support.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk"),
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    for name in (unset, "DJANGO_HTTPS", "DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # then: that one is named, the others not
    output = result.stdout + result.stderr
    assert warning in output
    assert {w for w in ("supportdesk.W001", "supportdesk.W002", "supportdesk.W003") if w in output} == {warning}


def test_compose_starts_one_worker_per_kind_of_work_and_together_they_consume_every_queue():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {name: s for name, s in services.items() if " worker " in f" {s.get('command', '')} "}

    consumed = {name: s["command"].split("-Q ", 1)[1].split()[0].split(",") for name, s in workers.items()}

    assert consumed == {
        "worker-notifications": [NOTIFICATIONS, SWEEPS],  # what a person waits for, never behind a flood
        "worker-ingestion": [INGESTION],
        "worker-polling": [POLLING],
        "worker-default": [KPIS, DEFAULT],
    }
    assert sorted(q for queues in consumed.values() for q in queues) == sorted(QUEUES)
    assert all("healthcheck" in s and s["environment"] == services["web"]["environment"] for s in workers.values())


def test_the_image_has_the_pg_dump_of_the_compose_files_postgresql():
    # backup refuses a pg_dump older than the server: the image's client follows the compose file's server
    server = re.search(r"image:\s*postgres:(\d+)", (ROOT / "docker-compose.yml").read_text())
    client = re.search(r"postgresql-client-(\d+)", (ROOT / "Dockerfile").read_text())
    assert server and client and client.group(1) == server.group(1)
