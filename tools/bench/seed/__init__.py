"""Seed the bench database: 10 queues, ~320 people, N tickets with about five timeline events each.

One transaction: TRUNCATE, drop the secondary indexes, COPY every table in batches, rebuild the
indexes, reset the sequences. A crash leaves the previous data (or none), never a half-seeded
database that the next run would mistake for a finished one. Rows mirror what tickets.services
writes (due times, watches, event data), so pages render what production would.

Call after django.setup(): the choices (statuses, kinds, event kinds) come from tickets.models so
the seed cannot drift from the schema; the rows themselves go through psycopg's COPY.
"""

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from .reference import reference_rows
from .rows import TABLES, Batch, Generator

log = logging.getLogger("bench.seed")

BATCH_SIZE = 25_000  # tickets per COPY round; the next batch is generated while this one streams


@dataclass(frozen=True)
class SeedResult:
    tickets: int
    events: int
    comments: int
    seconds: float
    skipped: bool


def seed(dsn: str, *, tickets: int, reseed: bool = False) -> SeedResult:
    """Make the database hold `tickets` seeded tickets; a no-op when it already has as many."""
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        (existing,) = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone() or (0,)
        if existing >= tickets and not reseed:
            log.info("%s tickets already seeded; --reseed to start over", f"{existing:,}")
            return SeedResult(existing, 0, 0, 0.0, skipped=True)
        # Bulk-load settings for this transaction only: FK triggers off (we generate consistent ids; needs a
        # superuser), no commit flush, room to sort index entries in memory.
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
        reference = reference_rows(conn)
        # TRUNCATE in this transaction is what lets COPY ... FREEZE write rows already frozen and all-visible
        conn.execute("TRUNCATE tickets_ticket RESTART IDENTITY CASCADE")
        indexes = _drop_secondary_indexes(conn)
        generator = Generator(reference, total=tickets, now=time.time())
        with ThreadPoolExecutor(max_workers=1) as pool:  # one COPY stream while the next batch is built
            pending: Future | None = None
            for first in range(1, tickets + 1, BATCH_SIZE):
                batch = generator.batch(first, min(BATCH_SIZE, tickets + 1 - first))
                if pending is not None:
                    pending.result()
                pending = pool.submit(_copy_batch, conn, batch)
                if first // BATCH_SIZE % 8 == 0:
                    log.info("  %s / %s tickets", f"{first - 1:,}", f"{tickets:,}")
            if pending is not None:
                pending.result()
        log.info("COPY done in %.0f s; rebuilding %d indexes", time.perf_counter() - started, len(indexes))
        for name, definition in indexes:
            index_started = time.perf_counter()
            conn.execute(definition)
            log.debug("  %s in %.1f s", name, time.perf_counter() - index_started)
        for table in TABLES:  # the next ticket the portal files gets the id after ours
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            )
    with psycopg.connect(dsn, autocommit=True) as conn:
        # Statistics for the planner; and a vacuum now (cheap: the frozen pages are skipped) rather than
        # autovacuum noticing a few million inserts in the middle of the load.
        conn.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}, accounts_user, tickets_queue, tickets_queuemember")
    seconds = time.perf_counter() - started
    log.info(
        "seeded %s tickets, %s events, %s comments in %.0f s",
        f"{tickets:,}",
        f"{generator.event_id:,}",
        f"{generator.comment_id:,}",
        seconds,
    )
    return SeedResult(tickets, generator.event_id, generator.comment_id, seconds, skipped=False)


def _drop_secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Drop the indexes no constraint needs; returns their definitions to rebuild after the COPY."""
    rows = conn.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        [list(TABLES)],
    ).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP INDEX {name}")
    return rows


def _copy_batch(conn: psycopg.Connection, batch: Batch) -> None:
    with conn.cursor() as cur:
        for table, rows in batch.rows.items():
            if not rows:
                continue
            with cur.copy(f"COPY {table} ({', '.join(TABLES[table])}) FROM STDIN WITH (FREEZE)") as copy:
                copy.write("".join(rows))
