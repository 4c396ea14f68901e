"""manage.py backup [--output PATH | --to s3://bucket/prefix/]: one archive of the database and the media folder."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awsgateway.errors import AwsError
from backups import services
from backups.exceptions import BackupError


class Command(BaseCommand):
    help = "Write one archive of the database, the media folder (attachments) and a manifest of checksums."

    def add_arguments(self, parser: CommandParser) -> None:
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--output", "-o", help="the archive's path, or a folder for it (default: this folder)")
        where.add_argument("--to", help="upload to s3://bucket/key, or under s3://bucket/prefix/")

    def handle(self, *args: Any, output: str | None, to: str | None, **options: Any) -> None:
        self._verbosity = options["verbosity"]
        try:
            if to:
                where, result = services.backup_upload(url=to, progress=self._progress)
            else:
                path = Path(output or ".")
                if path.is_dir():
                    path /= services.backup_default_name(now=datetime.now(UTC))
                result = services.backup_create(output=path, progress=self._progress)
                where = str(result.path)
        except (BackupError, AwsError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {result.rows:,} rows in {result.tables} tables and {result.files:,} media files to {where} "
                f"({result.size:,} bytes) in {result.seconds:.1f} s."
            )
        )
        if result.missing:
            self.stderr.write(
                f"Warning: {len(result.missing)} file(s) the database names were not in the media folder, so they "
                f"are not in the archive either (first: {result.missing[0]})."
            )

    def _progress(self, message: str) -> None:
        if self._verbosity:
            self.stdout.write(message)
