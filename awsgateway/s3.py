"""Backup archives to and from S3: boto3's managed transfer (multipart above 64 MiB, parts sent in parallel), with the
server's own credentials. Errors are translated like every other AWS call."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig

from .clients import AccountAccess, client_for
from .errors import AwsError, translated_errors

# Bucket names as S3 allows them (3-63 lower-case letters, digits, dots, hyphens); the key is the rest
_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.*)$")
_MiB = 1024 * 1024
# 64 MiB parts: a 1 GB archive in 16 parts, well inside S3's 10,000; four threads keep a link busy
_TRANSFER = TransferConfig(multipart_threshold=64 * _MiB, multipart_chunksize=64 * _MiB, max_concurrency=4)
_SSE_CHOICES = ("", "AES256", "aws:kms")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def s3_location_parse(url: str) -> S3Location:
    """s3://bucket/key (a key ending in / is a prefix); AwsError when it is not one."""
    match = _S3_URL.match(url)
    if match is None:
        raise AwsError(f"{url} is not an S3 address: write s3://bucket/key or s3://bucket/prefix/.")
    return S3Location(bucket=match["bucket"], key=match["key"])


@contextmanager
def _transfer_errors() -> Iterator[None]:
    # The managed transfer wraps a ClientError of an upload in its own class, with the code only in the text
    try:
        with translated_errors():
            yield
    except S3UploadFailedError as exc:
        raise AwsError(f"The upload to S3 failed: {exc}") from exc


def s3_upload_file(*, path: Path, location: S3Location, sse: str = "", kms_key_id: str = "") -> None:
    """Upload a file; ``sse`` is "" (the bucket's default encryption), "AES256" or "aws:kms" (with ``kms_key_id``, or
    the account's aws/s3 key)."""
    if sse not in _SSE_CHOICES:
        raise AwsError(f"Server-side encryption {sse!r} is not one of AES256, aws:kms.")
    extra = {"ServerSideEncryption": sse} if sse else {}
    if sse == "aws:kms" and kms_key_id:
        extra["SSEKMSKeyId"] = kms_key_id
    client = client_for(AccountAccess(account_id=""), "s3")
    with _transfer_errors():
        client.upload_file(str(path), location.bucket, location.key, ExtraArgs=extra or None, Config=_TRANSFER)


def s3_download_file(*, location: S3Location, path: Path) -> None:
    client = client_for(AccountAccess(account_id=""), "s3")
    with _transfer_errors():
        client.download_file(location.bucket, location.key, str(path), Config=_TRANSFER)


@dataclass(frozen=True)
class S3Object:
    size: int
    body: bytes  # the whole object, or its first 64 KiB when it is larger than asked for


_HEAD_BYTES = 64 * 1024


def s3_object_read(*, location: S3Location, max_bytes: int) -> S3Object:
    """One object into memory (a mail SES stored); one over ``max_bytes`` is not read whole, only its start (a mail's
    headers, to say who sent it)."""
    client = client_for(AccountAccess(account_id=""), "s3")
    with translated_errors():
        answer = client.get_object(Bucket=location.bucket, Key=location.key)
        size = answer["ContentLength"]
        with answer["Body"] as body:
            return S3Object(size=size, body=body.read(size if size <= max_bytes else _HEAD_BYTES))
