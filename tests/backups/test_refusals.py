"""What restore refuses, and that a refusal changes nothing: a database or media folder in use, an archive that was
changed, cut short or has no manifest, one from a newer Supportdesk."""

import json
import tarfile
from io import BytesIO, StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import TicketFactory
from tickets.models import Ticket

from .helpers import archive_rewritten, manage, media_digests

NOTE = "attachments/1/note.txt"


@pytest.fixture
def archive(settings, tmp_path) -> Path:
    """A backup of a database with two tickets and a media folder with one file."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / NOTE).parent.mkdir(parents=True)
    (settings.MEDIA_ROOT / NOTE).write_text("kept\n")
    TicketFactory.create_batch(2)
    path = tmp_path / "backup.tar"
    call_command("backup", "--output", str(path), stdout=StringIO())
    return path


def _refusal(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), *args, stdout=StringIO())
    return str(refused.value)


def _assert_unchanged(settings, *, tickets: int) -> None:
    assert Ticket.objects.count() == tickets
    assert list(media_digests(settings.MEDIA_ROOT)) == [NOTE]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_in_use(settings, archive):
    TicketFactory()  # filed after the backup: a restore over it would lose it
    message = _refusal(archive)
    assert "The database is not empty" in message and "--force" in message and "Nothing was changed" in message
    _assert_unchanged(settings, tickets=3)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_media_folder_in_use(archive, tmp_path, other_database):
    # given: an empty database, but a media folder with a file uploaded since
    media = tmp_path / "in-use"
    (media / "attachments").mkdir(parents=True)
    (media / "attachments" / "newer.png").write_bytes(b"\x89PNG")
    # when
    done = manage("restore", str(archive), url=other_database, media=media)
    # then: refused, with the reason; the database still empty, the file still there
    assert done.returncode == 1
    assert "media folder" in done.stderr and "is not empty" in done.stderr
    with psycopg.connect(other_database) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
    assert (media / "attachments" / "newer.png").read_bytes() == b"\x89PNG"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("member", ["database.pgdump", f"media/{NOTE}"])
def test_restore_refuses_a_changed_member_even_with_force(settings, archive, tmp_path, member):
    # given: one byte changed in one member, the manifest left as it was
    changed = tmp_path / "changed.tar"
    archive_rewritten(archive, changed, lambda name, data: bytes([data[0] ^ 1]) + data[1:] if name == member else data)
    TicketFactory()
    # when: even --force, which would drop the tables, checks every member first
    message = _refusal(changed, "--force")
    # then
    assert f"{member} does not match its checksum" in message and "Nothing was changed" in message
    _assert_unchanged(settings, tickets=3)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_member_the_manifest_does_not_list(settings, archive, tmp_path):
    added = tmp_path / "added.tar"
    archive_rewritten(archive, added, lambda name, data: data)
    with tarfile.open(added, "a") as tar:
        info = tarfile.TarInfo("media/attachments/1/extra.txt")
        info.size = 3
        tar.addfile(info, BytesIO(b"new"))
    message = _refusal(added, "--force")
    assert "media/attachments/1/extra.txt, which its manifest does not list" in message
    _assert_unchanged(settings, tickets=2)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_an_archive_cut_short(settings, archive, tmp_path):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    message = _refusal(cut, "--force")
    assert "cut short" in message and "Nothing was changed" in message
    _assert_unchanged(settings, tickets=2)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_an_archive_without_manifest(settings, archive, tmp_path):
    bare = tmp_path / "bare.tar"
    archive_rewritten(archive, bare, lambda name, data: None if name == "manifest.json" else data)
    message = _refusal(bare, "--force")
    assert "has no manifest.json" in message and "Nothing was changed" in message
    _assert_unchanged(settings, tickets=2)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_an_archive_from_a_newer_version(settings, archive, tmp_path):
    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["app_version"] = "9.0.0"
        manifest["migrations"]["tickets"] = "9999_from_the_future"
        return json.dumps(manifest).encode()

    future = tmp_path / "future.tar"
    archive_rewritten(archive, future, newer)
    message = _refusal(future, "--force")
    assert "newer Supportdesk (9.0.0)" in message and "tickets.9999_from_the_future" in message
    _assert_unchanged(settings, tickets=2)


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path):
    text = tmp_path / "notes.tar"
    text.write_text("not a tar file\n" * 100)
    assert "is not a backup archive" in _refusal(text)
    assert "does not exist" in _refusal(tmp_path / "nowhere.tar")


def test_backup_refuses_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("backup", "--output", str(tmp_path / "no" / "such.tar"), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("manifest", "refusal"),
    [(b'{"format": 2}', "is in backup format 2"), (b'{"format": 1, "rows": "many"}', "is not a manifest"), (b"[", "")],
)
def test_restore_refuses_a_manifest_it_cannot_read(settings, archive, tmp_path, manifest, refusal):
    odd = tmp_path / "odd.tar"
    archive_rewritten(archive, odd, lambda name, data: manifest if name == "manifest.json" else data)
    message = _refusal(odd, "--force")
    assert refusal in message and "Nothing was changed" in message
    _assert_unchanged(settings, tickets=2)
