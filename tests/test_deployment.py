"""The production stack description and settings hold up: compose validates, `check --deploy` is clean."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_image_has_the_pg_dump_of_the_compose_files_postgresql():
    # backup refuses a pg_dump older than the server: the image's client follows the compose file's server
    server = re.search(r"image:\s*postgres:(\d+)", (ROOT / "docker-compose.yml").read_text())
    client = re.search(r"postgresql-client-(\d+)", (ROOT / "Dockerfile").read_text())
    assert server and client and client.group(1) == server.group(1)
