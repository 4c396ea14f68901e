"""A nightly backup sent to S3 and brought back from there (moto plays S3)."""

from io import StringIO

import boto3
import pytest
from django.core.management import call_command
from moto import mock_aws

from awsgateway import clients
from tests.factories import TicketFactory
from tickets.models import Ticket

from .helpers import media_digests

BUCKET = "supportdesk-backups"


@pytest.fixture
def s3_bucket(monkeypatch, settings):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")  # nothing real can be reached
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.AWS_ENDPOINT_URL = None
    settings.BACKUP_S3_SSE = "AES256"
    clients.forget_credentials()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3
    clients.forget_credentials()


@pytest.mark.django_db(transaction=True)
def test_backup_to_s3_and_restore_from_it_over_the_same_database(s3_bucket, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "attachments").mkdir(parents=True)
    (settings.MEDIA_ROOT / "attachments" / "shot.png").write_bytes(b"\x89PNG" * 1000)
    kept = TicketFactory(title="Kept by the backup")
    out = StringIO()
    # when: backed up under a prefix, then the data changes, then the archive comes back with --force
    call_command("backup", "--to", f"s3://{BUCKET}/nightly/", stdout=out)
    [stored] = s3_bucket.list_objects_v2(Bucket=BUCKET, Prefix="nightly/")["Contents"]
    TicketFactory(title="Filed after the backup")
    (settings.MEDIA_ROOT / "attachments" / "later.png").write_bytes(b"later")
    call_command("restore", f"s3://{BUCKET}/{stored['Key']}", "--force", stdout=StringIO())
    # then: the database and the media folder are as they were at the backup
    assert f"s3://{BUCKET}/nightly/supportdesk-" in out.getvalue()
    assert s3_bucket.head_object(Bucket=BUCKET, Key=stored["Key"])["ServerSideEncryption"] == "AES256"
    assert list(Ticket.objects.values_list("title", flat=True)) == [kept.title]
    assert list(media_digests(settings.MEDIA_ROOT)) == ["attachments/shot.png"]
