"""What the backup tests share: `manage.py` in its own process (as an operator runs it), another PostgreSQL database,
and what two databases or media folders are compared by."""

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def manage(*args: str, url: str, media: Path) -> subprocess.CompletedProcess:
    """manage.py with the production settings module on another database and media folder."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DJANGO_SECRET_KEY": "test-only-secret-key-not-for-production-0123456789abcdef",
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def database_url(name: str | None = None) -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def postgres_admin(statement: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(statement)


def postgres_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}  # type: ignore[index]


def postgres_timeline_checksum(url: str) -> str:
    """Every TicketEvent row, every column, in id order, hashed."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT md5(string_agg(e::text, E'\\n' ORDER BY e.id)) FROM tickets_ticketevent e"
        ).fetchone()
        assert row is not None
        return row[0]


def media_digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def archive_rewritten(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """A copy of an archive with each member's bytes passed through ``change`` (None leaves the member out)."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for info in old:
            raw = old.extractfile(info)
            data = change(info.name, raw.read() if raw else b"")
            if data is None:
                continue
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
