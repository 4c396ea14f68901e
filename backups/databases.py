"""The two databases the portal runs on, each dumped and restored with its own tools: pg_dump and pg_restore for
PostgreSQL, SQLite's online backup API for the `make run` demo. Both give one consistent snapshot."""

import os
import re
import sqlite3
import subprocess
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from .exceptions import BackupError

POSTGRESQL, SQLITE = "postgresql", "sqlite"
MEMBERS = {POSTGRESQL: "database.pgdump", SQLITE: "database.sqlite3"}
_TOOL_VERSION = re.compile(r"\)\s*(\d+)")  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
# libpq reads these from the environment too: a password never goes on a command line, where `ps` shows it
_PG_OPTIONS = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}


@dataclass(frozen=True)
class Dump:
    path: Path
    rows: dict[str, int]  # table -> rows, counted in the dump's own snapshot
    migrations: dict[str, str]  # app -> latest applied migration
    files: list[str]  # media files the database refers to (every FileField)
    tool_version: int  # pg_dump's major version (pg_restore must be as new); 0 for SQLite


def database_vendor() -> str:
    return connection.vendor


def database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def rows_count(tables: Sequence[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        return _rows(cursor, tables)


def database_dump(*, directory: Path) -> Dump:
    if connection.in_atomic_block:  # the snapshot must be the first thing its transaction does
        raise BackupError("A backup takes its own snapshot of the database: run it outside a transaction.")
    if connection.vendor == POSTGRESQL:
        return _postgres_dump(directory / MEMBERS[POSTGRESQL])
    if connection.vendor == SQLITE:
        return _sqlite_dump(directory / MEMBERS[SQLITE])
    raise BackupError(f"Backups support PostgreSQL and SQLite; this database is {connection.vendor}.")


def database_restore(*, path: Path, vendor: str, force: bool, jobs: int, tool_version: int) -> None:
    connection.close()  # the restore writes through its own connection; ours must not hold a stale view
    if vendor == POSTGRESQL:
        _postgres_restore(path, force=force, jobs=jobs, tool_version=tool_version)
    else:
        _sqlite_restore(path)
    connection.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'  # PostgreSQL and SQLite quote names alike


def _rows(cursor: Any, tables: Sequence[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {_quoted(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _migrations(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


def _files(cursor: Any, tables: Sequence[str]) -> list[str]:
    """Every stored file name in the database, whichever app's model holds it (found through Django's registry)."""
    names: list[str] = []
    for model in apps.get_models():
        table = model._meta.db_table
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) and table in tables:
                cursor.execute(
                    f"SELECT {_quoted(field.column)} FROM {_quoted(table)} WHERE {_quoted(field.column)} <> ''"
                )
                names += [name for (name,) in cursor.fetchall()]
    return sorted(names)


def _pg_env() -> dict[str, str]:
    settings: dict[str, Any] = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(settings["NAME"])}
    for key, variable in {"USER": "PGUSER", "PASSWORD": "PGPASSWORD", "HOST": "PGHOST", "PORT": "PGPORT"}.items():
        if settings.get(key):
            env[variable] = str(settings[key])
    for option, variable in _PG_OPTIONS.items():
        if value := settings.get("OPTIONS", {}).get(option):
            env[variable] = str(value)
    return env


def _tool_major(tool: str, *, needed: int, why: str) -> int:
    """The major version of pg_dump or pg_restore, refused when older than ``needed``."""
    try:
        answer = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (FileNotFoundError, subprocess.SubprocessError) as exc:
        raise BackupError(
            f"{tool} is not installed (or does not run): install PostgreSQL's client tools, version {needed} or newer "
            f"(Debian: apt-get install postgresql-client-{needed}; the Docker image has them). Nothing was changed."
        ) from exc
    match = _TOOL_VERSION.search(answer)
    major = int(match.group(1)) if match else 0
    if major < needed:
        raise BackupError(
            f"{tool} is version {major or answer.strip()}, older than {why} ({needed}): install "
            f"postgresql-client-{needed} or newer. Nothing was changed."
        )
    return major


def _postgres_dump(target: Path) -> Dump:
    connection.ensure_connection()
    server = connection.pg_version // 10000  # type: ignore[attr-defined]  # 150020 -> 15
    tool = _tool_major("pg_dump", needed=server, why="the PostgreSQL server")
    # One snapshot for everything: pg_dump imports the one this transaction exports, so the row counts and file
    # names in the manifest are exactly those of the dump, even while the portal keeps writing.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        command = ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"]
        dumping = subprocess.Popen(command, env=_pg_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:  # counted while pg_dump runs: another core, the same snapshot
            tables = connection.introspection.table_names(cursor)
            rows, migrations, files = _rows(cursor, tables), _migrations(cursor), _files(cursor, tables)
        finally:
            _, errors = dumping.communicate()
    if dumping.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {dumping.returncode}): {errors.strip()[-2000:]}")
    return Dump(path=target, rows=rows, migrations=migrations, files=files, tool_version=tool)


def _postgres_restore(path: Path, *, force: bool, jobs: int, tool_version: int) -> None:
    connection.ensure_connection()
    server = connection.pg_version // 10000  # type: ignore[attr-defined]
    connection.close()
    _tool_major("pg_restore", needed=max(tool_version, server), why="the pg_dump that wrote the archive, or the server")
    database = str(connection.settings_dict["NAME"])
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={database}"]
    if force:
        command += ["--clean", "--if-exists"]  # drop what the archive holds before creating it again
    # One transaction, all or nothing; or parallel (indexes built side by side), then a failure leaves a part
    command += [f"--jobs={jobs}"] if jobs > 1 else ["--single-transaction"]
    restoring = subprocess.run([*command, str(path)], env=_pg_env(), capture_output=True, text=True)
    if restoring.returncode != 0:
        state = (
            "The database is partly restored: drop and create it again (or restore with --force) before using it."
            if jobs > 1
            else "It ran in one transaction: the database is as it was."
        )
        raise BackupError(
            f"pg_restore failed (exit {restoring.returncode}): {restoring.stderr.strip()[-2000:]}\n{state}"
        )


def _sqlite_dump(target: Path) -> Dump:
    source = Path(str(connection.settings_dict["NAME"])).resolve()
    # The online backup API copies every page under one read lock: a consistent copy while the portal writes
    with (
        closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)
    with closing(sqlite3.connect(target)) as copy:
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        tables = [name for (name,) in cursor.fetchall()]
        rows, migrations, files = _rows(cursor, tables), _migrations(cursor), _files(cursor, tables)
    return Dump(path=target, rows=rows, migrations=migrations, files=files, tool_version=0)


def _sqlite_restore(path: Path) -> None:
    target = Path(str(connection.settings_dict["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API again: it replaces the target's pages in one transaction, so a failure leaves it as it was
    with closing(sqlite3.connect(path)) as archived, closing(sqlite3.connect(target)) as live:
        archived.backup(live)
