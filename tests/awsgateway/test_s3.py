import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from moto import mock_aws

from awsgateway import s3
from awsgateway.errors import AwsError, AwsNotFound

BUCKET = "supportdesk-backups"


@pytest.fixture
def bucket():
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield boto3.client("s3", region_name="us-east-1")


def test_a_large_file_goes_up_in_parts_and_comes_back_whole(bucket, tmp_path, monkeypatch):
    # given: parts of S3's smallest size, so an 11 MiB file takes three
    monkeypatch.setattr(s3, "_TRANSFER", TransferConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20))
    original = tmp_path / "archive.tar"
    original.write_bytes(bytes(range(256)) * (11 * 2**20 // 256))
    location = s3.s3_location_parse(f"s3://{BUCKET}/nightly/archive.tar")
    # when
    s3.s3_upload_file(path=original, location=location)
    s3.s3_download_file(location=location, path=tmp_path / "back.tar")
    # then
    assert bucket.head_object(Bucket=BUCKET, Key="nightly/archive.tar")["ETag"].endswith('-3"')
    assert (tmp_path / "back.tar").read_bytes() == original.read_bytes()


@pytest.mark.parametrize(("sse", "kms_key_id"), [("AES256", ""), ("aws:kms", "alias/backups")])
def test_server_side_encryption_is_asked_for_when_set(bucket, tmp_path, sse, kms_key_id):
    if kms_key_id:
        key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
        boto3.client("kms", region_name="us-east-1").create_alias(AliasName=kms_key_id, TargetKeyId=key)
    (tmp_path / "a.tar").write_bytes(b"archive")
    s3.s3_upload_file(path=tmp_path / "a.tar", location=s3.S3Location(BUCKET, "a.tar"), sse=sse, kms_key_id=kms_key_id)
    head = bucket.head_object(Bucket=BUCKET, Key="a.tar")
    assert head["ServerSideEncryption"] == sse
    if kms_key_id:
        assert head["SSEKMSKeyId"]


def test_an_unknown_encryption_is_refused_before_any_call(tmp_path):
    with pytest.raises(AwsError, match="is not one of AES256, aws:kms"):
        s3.s3_upload_file(path=tmp_path / "a.tar", location=s3.S3Location(BUCKET, "a.tar"), sse="rot13")


def test_a_missing_archive_or_bucket_reads_as_an_aws_error(bucket, tmp_path):
    (tmp_path / "a.tar").write_bytes(b"archive")
    with pytest.raises(AwsNotFound):
        s3.s3_download_file(location=s3.S3Location(BUCKET, "nightly/none.tar"), path=tmp_path / "b.tar")
    with pytest.raises(AwsError, match=r"upload to S3 failed.*NoSuchBucket"):
        s3.s3_upload_file(path=tmp_path / "a.tar", location=s3.S3Location("no-such-bucket", "a.tar"))


@pytest.mark.parametrize("url", ["s3:/bucket/key", "https://bucket.s3.amazonaws.com/key", "s3://UPPER/key", "s3://b"])
def test_an_address_that_is_not_s3_is_refused(url):
    with pytest.raises(AwsError, match="is not an S3 address"):
        s3.s3_location_parse(url)
