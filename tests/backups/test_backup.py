"""What `manage.py backup` writes: one tar, the database first and the manifest last, every member listed with its
size and checksum, the row counts of the dump's own snapshot, and a warning for files the database names but lacks."""

import gzip
import hashlib
import json
import tarfile
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import TicketFactory
from tickets import services as ticket_services
from tickets.models import Attachment

from .helpers import database_url, postgres_counts

LOG = b"2026-12-07 02:00:01 checkout-api ERROR upstream timed out after 30 s\n" * 3000


def _attached(settings, tmp_path) -> Attachment:
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = TicketFactory()
    upload = SimpleUploadedFile("checkout.log", LOG, "text/plain")
    ticket_services.comment_add(ticket=ticket, author=ticket.requester, body="The log", attachments=[upload])
    return Attachment.objects.get()


@pytest.mark.django_db(transaction=True)
def test_the_manifest_counts_every_table_and_checksums_every_member(settings, tmp_path):
    # given
    attachment = _attached(settings, tmp_path)
    archive = tmp_path / "nightly.tar"
    # when
    call_command("backup", "--output", str(archive), stdout=StringIO())
    # then
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        stored = {name: tar.extractfile(name).read() for name in names}  # type: ignore[union-attr]
    manifest = json.loads(stored.pop("manifest.json"))
    assert names[0] == "database.pgdump" and names[-1] == "manifest.json"
    assert manifest["database"]["vendor"] == "postgresql" and manifest["format"] == 1
    assert manifest["rows"] == postgres_counts(database_url())
    assert manifest["rows"]["tickets_ticket"] == 1 and manifest["rows"]["tickets_attachment"] == 1
    assert manifest["migrations"]["tickets"].startswith("00")
    assert set(manifest["members"]) == set(stored)
    for name, data in stored.items():
        entry = manifest["members"][name]
        assert (entry["size"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    log = f"media/{attachment.file.name}"
    assert manifest["members"][log]["gzip"] and gzip.decompress(stored[log]) == LOG
    assert len(stored[log]) < len(LOG) / 10
    assert manifest["media"] == {"files": 1, "missing": []}


@pytest.mark.django_db(transaction=True)
def test_backup_warns_of_files_the_database_names_but_the_folder_lacks(settings, tmp_path):
    attachment = _attached(settings, tmp_path)
    (settings.MEDIA_ROOT / attachment.file.name).unlink()  # lost before the backup ran
    archive, err = tmp_path / "nightly.tar", StringIO()
    call_command("backup", "--output", str(archive), stdout=StringIO(), stderr=err)
    assert "1 file(s) the database names were not in the media folder" in err.getvalue()
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["media"] == {"files": 0, "missing": [attachment.file.name]}


def test_backup_never_writes_over_an_archive(tmp_path):
    existing = tmp_path / "nightly.tar"
    existing.write_bytes(b"last night's")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--output", str(existing), stdout=StringIO())
    assert existing.read_bytes() == b"last night's"
    assert list(tmp_path.iterdir()) == [existing]  # no .partial left either


def test_backup_is_not_written_into_the_media_folder_it_copies(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(CommandError, match="inside the media folder"):
        call_command("backup", "--output", str(tmp_path), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []
