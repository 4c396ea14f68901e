"""Attachments sent the way browsers send them: odd names and headers, too many, too large together."""

import os
from urllib.parse import quote

import pytest

from tickets import services
from tickets.models import Attachment, Comment

from ..factories import TicketFactory
from .helpers import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list[str]:
    return [name for _, _, names in os.walk(root) for name in names]


def reply(client, ticket, *files, body="Here are the logs."):
    return client.post(f"/tickets/{ticket.reference}/comment/", {"body": body, "attachments": list(files)})


def test_a_250_character_name_is_stored_short_and_shown_and_downloaded_whole(client, requester, queue, media):
    # given: a name longer than any filesystem allows once the stored name's timestamp is added
    ticket = TicketFactory(queue=queue, requester=requester)
    name = "é" * 100 + "x" * 146 + ".log"  # 250 characters, 350 bytes
    client.force_login(requester)
    # when
    response = reply(client, ticket, upload(name, b"kernel: ok\n"))
    # then: stored under a short name with its extension; the page and the download say the whole name
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.filename == name
    [stored] = stored_files(media)
    assert stored.endswith(".log") and len(stored.encode()) <= 130
    assert name in client.get(ticket.get_absolute_url()).content.decode()
    download = client.get(f"/tickets/{ticket.reference}/files/{attachment.pk}/")
    assert download["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    assert b"".join(download.streaming_content) == b"kernel: ok\n"


def test_the_clients_content_type_is_not_trusted(client, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    response = reply(client, ticket, upload("boot.log", b"ok\n", content_type="text/html\x00<script>"))
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == "text/plain"  # from the extension


def test_files_stored_before_a_rollback_are_deleted(requester, queue, media, monkeypatch):
    # given: the reply fails after its files were written
    ticket = TicketFactory(queue=queue, requester=requester)

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("tickets.timeline.commented", fail)
    # when
    with pytest.raises(RuntimeError):
        services.comment_add(
            ticket=ticket, author=requester, body="Logs.", attachments=[upload("a.log"), upload("b.log")]
        )
    # then: no row and no file
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_ticket_that_fails_half_way_through_its_files_leaves_none(requester, media, monkeypatch):
    # given: the second file's row cannot be written, after the first file and row were
    real_save, saved = Attachment.save, []

    def save_once(self, *args, **kwargs):
        if saved:
            raise RuntimeError("the database went away")
        saved.append(self)
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", save_once)
    # when
    with pytest.raises(RuntimeError):
        TicketFactory(requester=requester, attachments=[upload("a.log"), upload("b.log")])
    # then
    assert stored_files(media) == []


def test_too_many_files_at_once_are_refused_on_the_page(client, requester, queue, settings, media):
    settings.ATTACHMENT_MAX_FILES = 3
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    response = reply(client, ticket, *(upload(f"{i}.log") for i in range(4)))
    assert response.status_code == 400
    assert "At most 3 files at a time; you sent 4." in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert stored_files(media) == []


def test_files_too_large_together_are_refused_on_the_page(client, requester, queue, settings, media):
    # given: each file within the per-file limit, the three together over the per-request one
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    settings.ATTACHMENT_MAX_TOTAL_BYTES = 2 * 1024 * 1024
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    # when
    response = reply(client, ticket, *(upload(f"{i}.log", b"x" * 800_000) for i in range(3)))
    # then
    assert response.status_code == 400
    assert "These files come to more than 2 MB together" in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("path", "kind"), [("/tickets/{ref}/comment/", "text/plain"), ("/api/tickets/{ref}/comments/", "application/json")]
)
def test_a_request_larger_than_every_file_allowed_is_refused_unread(client, requester, queue, settings, path, kind):
    # given: a body declared larger than ATTACHMENT_MAX_TOTAL_BYTES and the form together (100 files of 9 MB, say)
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    declared = settings.ATTACHMENT_MAX_TOTAL_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    # when
    response = client.generic(
        "POST",
        path.format(ref=ticket.reference),
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(declared),
    )
    # then
    assert (response.status_code, response["Content-Type"].split(";")[0]) == (413, kind)
    assert "more than the 25 MB of files one request may carry" in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()
