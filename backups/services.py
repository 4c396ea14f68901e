"""Backup and restore, each one operation: ``backup_create`` writes an archive, ``backup_restore`` checks one whole
before it changes anything, then brings back the database and the media folder and counts the rows again."""

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from awsgateway import s3

from . import archive, databases
from .exceptions import BackupError

Progress = Callable[[str], None]
CROSS_ENGINE = (
    "Archives do not cross database engines. To move the data, restore it into a {archived} database first, then "
    "`manage.py dumpdata --natural-foreign --exclude contenttypes --exclude auth.permission` there and "
    "`manage.py migrate` + `manage.py loaddata` on the {current} one. Nothing was changed."
)


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    rows: int
    tables: int
    files: int
    missing: list[str]  # files the database names that the media folder lacked
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    rows: int
    tables: int
    files: int
    seconds: float
    migrate_needed: bool  # the archive predates this code's migrations


def _quiet(message: str) -> None:
    pass


def backup_default_name(*, now: datetime) -> str:
    return f"supportdesk-{now:%Y%m%dT%H%M%SZ}.tar"


def backup_create(*, output: Path, progress: Progress = _quiet) -> BackupResult:
    """One archive: the database, then the media folder, then the manifest. Written beside ``output`` under another
    name and renamed at the end, so a failed backup never leaves a file that looks whole."""
    started, now = time.perf_counter(), datetime.now(UTC)
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a folder: create it first.")
    if output.exists():
        raise BackupError(f"{output} exists already: a backup never writes over one; name another file.")
    if output.resolve().is_relative_to(_media_root().resolve()):
        raise BackupError(f"{output} is inside the media folder, which the archive copies: write it elsewhere.")
    partial = output.with_name(output.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix="supportdesk-backup-") as staging:
            progress(f"Dumping the {databases.database_vendor()} database")
            dump = databases.database_dump(directory=Path(staging))
            progress(f"  {sum(dump.rows.values()):,} rows in {len(dump.rows)} tables; archiving the media folder")
            with archive.ArchiveWriter(partial) as written:
                written.add(databases.MEMBERS[databases.database_vendor()], dump.path)
                # After the dump: an attachment is written before the row naming it commits, and never changed
                # afterwards (only deleted when that row's transaction rolls back), so every file the dump names
                # is on disk by now. `missing` checks it rather than trusting it.
                media = dict(_media_files())
                for name, path in media.items():
                    written.add(archive.MEDIA + name, path)
                missing = [name for name in dump.files if name not in media]
                written.manifest_write(
                    {
                        "format": archive.FORMAT,
                        "created_at": now.isoformat(timespec="seconds"),
                        "created_at_epoch": int(now.timestamp()),
                        "app_version": _app_version(),
                        "database": {"vendor": databases.database_vendor(), "tool_version": dump.tool_version},
                        "migrations": dump.migrations,
                        "rows": dump.rows,
                        "media": {"files": len(media), "missing": missing},
                    }
                )
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(
        path=output,
        size=output.stat().st_size,
        rows=sum(dump.rows.values()),
        tables=len(dump.rows),
        files=len(media),
        missing=missing,
        seconds=time.perf_counter() - started,
    )


def backup_upload(*, url: str, progress: Progress = _quiet) -> tuple[str, BackupResult]:
    """A backup written to a temporary file, then uploaded to s3://bucket/key (or under s3://bucket/prefix/)."""
    location = s3.s3_location_parse(url)
    with tempfile.TemporaryDirectory(prefix="supportdesk-backup-") as folder:
        name = backup_default_name(now=datetime.now(UTC))
        result = backup_create(output=Path(folder) / name, progress=progress)
        if not location.key or location.key.endswith("/"):
            location = s3.S3Location(bucket=location.bucket, key=location.key + name)
        progress(f"Uploading {result.size:,} bytes to {location}")
        s3.s3_upload_file(
            path=result.path, location=location, sse=settings.BACKUP_S3_SSE, kms_key_id=settings.BACKUP_S3_KMS_KEY_ID
        )
    return str(location), result


def backup_restore(*, path: Path, force: bool = False, jobs: int = 1, progress: Progress = _quiet) -> RestoreResult:
    """Refuses, changing nothing, a damaged or changed archive (every checksum is checked first), one from another
    database engine or a newer Supportdesk, and a database or media folder that are not empty (unless ``force``)."""
    started = time.perf_counter()
    with archive.archive_open(path) as tar:
        manifest = archive.manifest_read(tar, path=path)
        vendor = _vendor_check(manifest)
        migrate_needed = _migrations_check(manifest)
        if not force:
            _empty_check()
        with tempfile.TemporaryDirectory(prefix="supportdesk-restore-") as folder:
            staging = Path(folder)
            progress(f"Checking {len(manifest['members'])} members against the manifest")
            archive.members_extract(tar, manifest, staging=staging)
            progress(f"Restoring the {vendor} database")
            databases.database_restore(
                path=staging / databases.MEMBERS[vendor],
                vendor=vendor,
                force=force,
                jobs=jobs,
                tool_version=int(manifest["database"].get("tool_version") or 0),
            )
            progress("Restoring the media folder")
            files = _media_restore(staging / archive.MEDIA, force=force)
    progress("Counting the rows again")
    expected: dict[str, int] = manifest["rows"]
    _rows_check(expected)
    return RestoreResult(
        rows=sum(expected.values()),
        tables=len(expected),
        files=files,
        seconds=time.perf_counter() - started,
        migrate_needed=migrate_needed,
    )


def backup_download(*, url: str, folder: Path) -> Path:
    location = s3.s3_location_parse(url)
    if not location.key or location.key.endswith("/"):
        raise BackupError(f"{url} names a prefix; give the whole key of one archive.")
    path = folder / Path(location.key).name
    s3.s3_download_file(location=location, path=path)
    return path


def _app_version() -> str:
    try:
        return version("supportdesk")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files() -> Iterator[tuple[str, Path]]:
    root = _media_root()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _vendor_check(manifest: dict[str, Any]) -> str:
    archived, current = manifest.get("database", {}).get("vendor"), databases.database_vendor()
    if archived not in databases.MEMBERS:
        raise BackupError(f"The manifest names no database this version knows ({archived!r}). Nothing was changed.")
    if archived != current:
        names = {databases.POSTGRESQL: "PostgreSQL", databases.SQLITE: "SQLite"}
        raise BackupError(
            f"This archive holds a {names[archived]} database and this portal runs on "
            f"{names.get(current, current)}. "
            + CROSS_ENGINE.format(archived=names[archived], current=names.get(current, current))
        )
    return archived


def _migrations_check(manifest: dict[str, Any]) -> bool:
    """Refuses an archive whose database has migrations this code does not know; True when it lacks some of ours
    (an older archive: `manage.py migrate` brings it forward after the restore)."""
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [f"{app}.{name}" for app, name in manifest.get("migrations", {}).items() if (app, name) not in known]
    if unknown:
        raise BackupError(
            f"The archive was written by a newer Supportdesk ({manifest.get('app_version')}): its database has "
            f"migration {unknown[0]}, which this code does not have. Deploy that version or newer, then restore. "
            "Nothing was changed."
        )
    latest: dict[str, str] = {}
    for app, name in known:
        latest[app] = max(latest.get(app, name), name)
    return any(manifest.get("migrations", {}).get(app, "") < name for app, name in latest.items())


def _empty_check() -> None:
    tables = databases.database_tables()
    if tables:
        raise BackupError(
            f"The database is not empty ({len(tables)} tables, e.g. {tables[0]}): restore into a new, empty database, "
            "or pass --force to replace what the archive holds. Nothing was changed."
        )
    if next(_media_files(), None) is not None:
        raise BackupError(
            f"The media folder {_media_root()} is not empty: restore into an empty one, or pass --force to delete "
            "what it holds. Nothing was changed."
        )


def _media_restore(staged: Path, *, force: bool) -> int:
    root = _media_root()
    try:
        if force and root.exists():
            for entry in root.iterdir():
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        root.mkdir(parents=True, exist_ok=True)
        moved = 0
        for path in sorted(staged.rglob("*")) if staged.exists() else []:
            if path.is_file():
                target = root / path.relative_to(staged)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                moved += 1
    except OSError as exc:
        raise BackupError(
            f"The database is restored, but the media folder {root} is only partly restored ({exc}). "
            "Free the space or fix the permissions, then restore again with --force."
        ) from exc
    return moved


def _rows_check(expected: dict[str, int]) -> None:
    present = set(databases.database_tables())
    if absent := sorted(set(expected) - present):
        raise BackupError(
            f"Restored, but table {absent[0]} is missing ({len(absent)} in all). Do not use this database."
        )
    counted = databases.rows_count(sorted(expected))
    if wrong := [
        f"{table}: {counted[table]:,} rows, expected {rows:,}"
        for table, rows in expected.items()
        if counted[table] != rows
    ]:
        raise BackupError(
            "Restored, but the rows differ from the manifest (did something write to the database during the "
            f"restore?): {'; '.join(wrong[:5])}. Do not use this database."
        )
