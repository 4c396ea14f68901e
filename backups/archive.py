"""The archive: one plain tar, the manifest last, holding the size and SHA-256 of every other member as stored.

Plain, not .tar.gz: pg_dump's custom format is compressed already, and so are most attachments (images, PDFs, zips);
the members that do compress (the SQLite file, text attachments) are gzipped one by one. A plain tar also lets a
restore read the manifest first by skipping from header to header, before it extracts anything.
"""

import gzip
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, TypeGuard

from .exceptions import BackupError

FORMAT = 1  # a restore refuses archives of a format it does not know
MANIFEST = "manifest.json"
MEDIA = "media/"
_COMPRESSED = {".sqlite3", ".txt", ".log", ".csv", ".json", ".yaml", ".yml", ".har"}  # gzip helps these
_SPOOL = 16 * 1024 * 1024  # a gzipped member is built in memory up to this size, on disk past it
_CHUNK = 1024 * 1024


class _Hashing:
    """A reader that hashes what tarfile copies out of it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.sha256 = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


class ArchiveWriter:
    """Members are added one by one, each file read once; close() writes the manifest with their checksums."""

    def __init__(self, path: Path) -> None:
        self._tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115  closed by __exit__
        self.members: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> "ArchiveWriter":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._tar.close()

    def add(self, name: str, source: Path) -> None:
        info = tarfile.TarInfo(name)
        info.mtime, info.mode = int(source.stat().st_mtime), 0o644
        compress = source.suffix.lower() in _COMPRESSED
        with source.open("rb") as raw, tempfile.SpooledTemporaryFile(_SPOOL) as spool:
            if compress:
                with gzip.GzipFile(fileobj=spool, mode="wb", compresslevel=6, mtime=0) as packed:
                    shutil.copyfileobj(raw, packed, _CHUNK)
                info.size = spool.tell()
                spool.seek(0)
                stored = _Hashing(spool)
            else:
                info.size = source.stat().st_size
                stored = _Hashing(raw)
            self._tar.addfile(info, stored)
        self.members[name] = {"size": info.size, "sha256": stored.sha256.hexdigest(), "gzip": compress}

    def manifest_write(self, manifest: dict[str, Any]) -> None:
        data = json.dumps({**manifest, "members": self.members}, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o644, int(manifest["created_at_epoch"])
        self._tar.addfile(info, io.BytesIO(data))


def archive_open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:")
    except FileNotFoundError as exc:
        raise BackupError(f"{path} does not exist.") from exc
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a backup archive (not a plain tar file): {exc}") from exc


def manifest_read(tar: tarfile.TarFile, *, path: Path) -> dict[str, Any]:
    """The manifest, found by reading every member's header: a cut-short archive fails here already."""
    try:
        info = tar.getmember(MANIFEST)
        raw = tar.extractfile(info)
        data = json.loads(raw.read()) if raw is not None else None
    except KeyError as exc:
        raise BackupError(
            f"{path} has no {MANIFEST}: it is not a Supportdesk backup, or it was cut short (the manifest is written "
            "last). Nothing was changed."
        ) from exc
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(
            f"{path} cannot be read to its end ({exc}): cut short or damaged. Nothing was changed."
        ) from exc
    if isinstance(data, dict) and data.get("format") != FORMAT:  # before the shape: another format has another
        raise BackupError(
            f"{path} is in backup format {data.get('format')!r}; this version of Supportdesk reads format {FORMAT}. "
            "Nothing was changed."
        )
    if not _manifest_shaped(data):
        raise BackupError(f"{path}'s {MANIFEST} is not a manifest. Nothing was changed.")
    return data


def _manifest_shaped(data: Any) -> TypeGuard[dict[str, Any]]:
    """The fields a restore reads, of the types it reads them as: a hand-edited manifest is refused, not a traceback."""
    if not isinstance(data, dict):
        return False
    members, rows = data.get("members"), data.get("rows")
    return (
        isinstance(data.get("database"), dict)
        and isinstance(data.get("migrations"), dict)
        and all(isinstance(name, str) for name in data["migrations"].values())
        and isinstance(rows, dict)
        and all(isinstance(count, int) for count in rows.values())
        and isinstance(members, dict)
        and all(isinstance(entry, dict) for entry in members.values())
    )


def _staged_path(staging: Path, name: str) -> Path:
    """Where a member goes in the staging folder; names that could land outside it are refused."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise BackupError(
            f"The archive holds a member named {name!r}, which a backup never writes. Nothing was changed."
        )
    return staging.joinpath(*parts)


def members_extract(tar: tarfile.TarFile, manifest: dict[str, Any], *, staging: Path) -> None:
    """Every member into the staging folder, each checked against the manifest's size and SHA-256 (then unzipped
    when stored gzipped). Raises before the database or the media folder are touched."""
    expected: dict[str, dict[str, Any]] = manifest["members"]
    seen: set[str] = set()
    try:
        for info in tar:
            if info.name == MANIFEST:
                continue
            entry = expected.get(info.name)
            if entry is None or not info.isfile() or info.name in seen:
                raise BackupError(
                    f"The archive holds {info.name}, which its manifest does not list: it was changed after it was "
                    "written. Nothing was changed."
                )
            seen.add(info.name)
            _member_extract(tar, info, entry, _staged_path(staging, info.name))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(
            f"The archive cannot be read to its end ({exc}): cut short or damaged. Nothing was changed."
        ) from exc
    if missing := sorted(set(expected) - seen):
        raise BackupError(
            f"The archive lacks {len(missing)} member(s) its manifest lists (first: {missing[0]}): cut short or "
            "changed. Nothing was changed."
        )


def _member_extract(tar: tarfile.TarFile, info: tarfile.TarInfo, entry: dict[str, Any], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    stored = target.with_name(target.name + ".gz") if entry.get("gzip") else target
    source = tar.extractfile(info)
    assert source is not None  # a regular file, checked by the caller
    sha256, size = hashlib.sha256(), 0
    with stored.open("wb") as out:
        while chunk := source.read(_CHUNK):
            sha256.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != entry.get("size") or sha256.hexdigest() != entry.get("sha256"):
        raise BackupError(
            f"{info.name} does not match its checksum in the manifest: the archive was damaged or changed. "
            "Nothing was changed."
        )
    if entry.get("gzip"):
        try:
            with gzip.open(stored, "rb") as packed, target.open("wb") as out:
                shutil.copyfileobj(packed, out, _CHUNK)
        except (OSError, EOFError) as exc:
            raise BackupError(f"{info.name} cannot be unzipped ({exc}). Nothing was changed.") from exc
        stored.unlink()
