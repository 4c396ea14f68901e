"""The restore drill (issue 15): the demo's people, tickets and ninety days of history, with attachments, backed up;
restored by `manage.py restore` in its own process into another PostgreSQL database and media folder, as an operator
would; then compared table by table, the timeline row by row, the attachments byte for byte."""

import os
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from demo.management.commands import seed_demo_history
from tickets import services as ticket_services
from tickets.models import Attachment, Ticket, TicketEvent

from .helpers import database_url, manage, media_digests, postgres_counts, postgres_timeline_checksum


@pytest.mark.django_db(transaction=True)
def test_restore_drill_brings_back_every_row_the_timeline_and_the_attachments(
    settings, tmp_path, monkeypatch, other_database
):
    # given: what `make run` loads (its history cut to a month, to keep the drill short), and files on a ticket: a log
    # (stored gzipped) and an image (stored as it is)
    monkeypatch.setattr(seed_demo_history, "HISTORY_DAYS", 30)
    monkeypatch.setattr(seed_demo_history, "TICKET_COUNT", 80)
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_history", stdout=StringIO())
    ticket = Ticket.objects.order_by("pk").first()
    assert ticket is not None and ticket.requester is not None
    log = SimpleUploadedFile("trace.log", b"GET /checkout 502 upstream timed out\n" * 2000, "text/plain")
    image = SimpleUploadedFile("screen.png", os.urandom(200_000), "image/png")
    ticket_services.comment_add(ticket=ticket, author=ticket.requester, body="Logs attached", attachments=[log, image])
    assert Ticket.objects.count() > 80 and TicketEvent.objects.count() > 500 and Attachment.objects.count() == 2
    archive = tmp_path / "nightly.tar"
    call_command("backup", "--output", str(archive), stdout=StringIO())

    # when
    restored_media = tmp_path / "restored-media"
    done = manage("restore", str(archive), url=other_database, media=restored_media)

    # then
    assert done.returncode == 0, done.stderr
    assert "every table's row count matches the manifest" in done.stdout
    source = database_url()
    assert postgres_counts(other_database) == postgres_counts(source)
    assert postgres_timeline_checksum(other_database) == postgres_timeline_checksum(source)
    assert media_digests(restored_media) == media_digests(settings.MEDIA_ROOT)
    assert len(media_digests(restored_media)) == 2
    # and the restored database is one this code runs on as it is
    assert manage("migrate", "--check", url=other_database, media=restored_media).returncode == 0
