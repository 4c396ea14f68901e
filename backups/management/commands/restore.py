"""manage.py restore PATH|s3://bucket/key [--force] [--jobs N]: an archive back into an empty database and media
folder, every checksum checked before anything changes."""

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from awsgateway.errors import AwsError
from backups import services
from backups.exceptions import BackupError


class Command(BaseCommand):
    help = "Restore a backup archive into an empty database and media folder, then check the row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the archive's path, or s3://bucket/key")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore over a database or media folder that are not empty: drops what the archive holds and "
            "deletes every file in the media folder first",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="PostgreSQL: pg_restore processes (default 1: one transaction, all or nothing; more is faster, but "
            "a failure then leaves a partly restored database)",
        )

    def handle(self, *args: Any, archive: str, force: bool, jobs: int, **options: Any) -> None:
        self._verbosity = options["verbosity"]
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        try:
            with tempfile.TemporaryDirectory(prefix="supportdesk-download-") as folder:
                if archive.startswith("s3://"):
                    self._progress(f"Downloading {archive}")
                    path = services.backup_download(url=archive, folder=Path(folder))
                else:
                    path = Path(archive)
                result = services.backup_restore(path=path, force=force, jobs=jobs, progress=self._progress)
        except (BackupError, AwsError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {result.rows:,} rows in {result.tables} tables and {result.files:,} media files in "
                f"{result.seconds:.1f} s; every table's row count matches the manifest."
            )
        )
        if result.migrate_needed:
            self.stdout.write("The archive predates this version's migrations: run `manage.py migrate` next.")

    def _progress(self, message: str) -> None:
        if self._verbosity:
            self.stdout.write(message)
