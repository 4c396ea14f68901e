"""The `make run` demo's path: SQLite backed up with its online backup API and restored into another file, each by
`manage.py` in its own process; and archives that do not cross engines, either way."""

import hashlib
import sqlite3
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import TicketFactory

from .helpers import manage, media_digests


def _sqlite_tables(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'"
            )
        ]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in sorted(names)}


def _sqlite_timeline_checksum(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT * FROM tickets_ticketevent ORDER BY id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def sqlite_archive(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The demo in SQLite (migrated, seeded), a file in its media folder, and its backup."""
    folder = tmp_path_factory.mktemp("sqlite")
    database, media = folder / "demo.sqlite3", folder / "media"
    (media / "attachments" / "7").mkdir(parents=True)
    (media / "attachments" / "7" / "har.har").write_text('{"log": {"entries": []}}\n' * 500)
    url = f"sqlite:///{database}"
    for command in (["migrate", "--noinput"], ["seed_demo"], ["backup", "--output", str(folder / "demo.tar")]):
        done = manage(*command, url=url, media=media)
        assert done.returncode == 0, done.stderr
    return database, media, folder / "demo.tar"


def test_sqlite_backup_restores_into_an_empty_file_with_every_row(sqlite_archive, tmp_path):
    database, media, archive = sqlite_archive
    restored, restored_media = tmp_path / "restored.sqlite3", tmp_path / "media"
    done = manage("restore", str(archive), url=f"sqlite:///{restored}", media=restored_media)
    assert done.returncode == 0, done.stderr
    tables = _sqlite_tables(restored)
    assert tables == _sqlite_tables(database) and tables["tickets_ticket"] > 5
    assert _sqlite_timeline_checksum(restored) == _sqlite_timeline_checksum(database)
    assert media_digests(restored_media) == media_digests(media)


@pytest.mark.django_db(transaction=True)
def test_a_sqlite_archive_is_refused_by_postgresql_with_the_way_across(sqlite_archive, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    TicketFactory()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(sqlite_archive[2]), "--force", stdout=StringIO())
    message = str(refused.value)
    assert "holds a SQLite database and this portal runs on PostgreSQL" in message
    assert "dumpdata" in message and "loaddata" in message and "Nothing was changed" in message


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_archive_is_refused_by_sqlite(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    TicketFactory()
    archive = tmp_path / "pg.tar"
    call_command("backup", "--output", str(archive), stdout=StringIO())
    target = tmp_path / "empty.sqlite3"
    done = manage("restore", str(archive), "--force", url=f"sqlite:///{target}", media=tmp_path / "elsewhere")
    assert done.returncode == 1
    assert "holds a PostgreSQL database and this portal runs on SQLite" in done.stderr
    assert not target.exists() or target.stat().st_size == 0
