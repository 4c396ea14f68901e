import importlib
import io
import json
import logging
import os
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql.operations import DatabaseOperations

from accounts.roles import Role
from integrations.models import AwsAccount
from supportdesk.logfilters import JsonLines

# SUPPORTDESK_TEST_CLOCK_SHIFT_DAYS=400 runs the suite a year and more ahead (`make test` does, for the
# date-sensitive modules): a test that compares a fixed date with the real clock fails today, not next year.
# Started before the test modules are imported, so instants they build from now are shifted too.
CLOCK_SHIFT = timedelta(days=int(os.environ.get("SUPPORTDESK_TEST_CLOCK_SHIFT_DAYS") or 0))
if CLOCK_SHIFT:
    time_machine.travel(CLOCK_SHIFT, tick=True).start()

from tools.sandbox.slack import FakeSlack, serve  # noqa: E402

from .factories import QueueFactory, UserFactory  # noqa: E402
from .integrations.fake_aws import FakeAws  # noqa: E402

SLACK_SIGNING_SECRET = "test-signing-secret-0123456789"


def pytest_report_header(config):
    return f"clock shifted {CLOCK_SHIFT.days} days ahead" if CLOCK_SHIFT else None


def _forget_cached_keys() -> None:
    # Only this process's keys: cache.clear() would flush the Redis database under other test runs.
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def _seeds_ensure() -> None:
    """Put back what migrations seed (roles, severities, the default queue, Trusted Advisor categories, the periodic
    schedule, review templates): in the full suite a transactional test's flush left the next ones without them
    despite serialized_rollback."""
    from django.apps import apps

    from accounts.roles import roles_sync
    from supportdesk.schedule import schedule_sync

    roles_sync()
    schedule_sync()
    for migration in (
        "tickets.migrations.0002_seed_severities_and_default_queue",
        "integrations.migrations.0005_categories_and_poll_schedules",
        "readiness.migrations.0002_seed_templates",
    ):
        importlib.import_module(migration).seed(apps, None)


# Tests that one pytest-xdist worker runs one after the other, by the start of their id: the browser tests, so one
# Chromium runs at a time on a machine of few cores. (xdist's own xdist_group mark renames the test's node, which
# pytest 9 no longer lets it do: the mark has no effect.)
XDIST_GROUPS = {"tests/browser/": "browser"}
# The longest tests (minutes on two busy cores), started first so that no worker is left finishing one alone at the
# end. Only tests on the database without transaction=True: pytest-django runs those first anyway.
SLOW_FIRST = (
    "tests/kpis/test_seed_demo_history.py::",
    "tests/kpis/test_sqlite_demo.py::",
    "tests/test_api_schema.py::",
)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Grouped(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            group = next((name for start, name in XDIST_GROUPS.items() if nodeid.startswith(start)), None)
            return group or super()._split_scope(nodeid)

    # Hand the work out in the order collected (below), not largest group first: a worker that ran a transactional
    # test has an empty database, so it must get no test that needs the seeded one afterwards
    config.option.loadscopereorder = False
    return Grouped(config, log)


def _transactional(item: pytest.Item) -> bool:
    """As pytest-django tells them apart (its order: database tests, then transactional ones, then the rest)."""
    marker = item.get_closest_marker("django_db")
    flagged = marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    return bool(flagged) or not {"transactional_db", "live_server"}.isdisjoint(getattr(item, "fixturenames", ()))


_truncate = DatabaseOperations.sql_flush


def _delete_every_row(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Django empties the database after each transactional test with one TRUNCATE of every table: PostgreSQL makes
    new files for each of them, seconds per test. DELETE takes milliseconds for the few rows a test writes, and leaves
    the same empty tables; Django's foreign keys are all checked at the commit, so the order does not matter."""
    if reset_sequences or not tables:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return [" ".join(f"DELETE FROM {self.quote_name(table)};" for table in tables)]


DatabaseOperations.sql_flush = _delete_every_row  # type: ignore[method-assign]


def pytest_collection_modifyitems(items):
    """A transactional test without serialized_rollback is flushed after it, and Django's flush re-creates the roles
    and the schedule (post_migrate); a serialized test after it would then load its copy over them (a duplicate
    group). Naming every app available makes that flush leave the database empty, as a serialized test's does
    (the next transactional test is seeded by _seeded_after_flush)."""
    from django.apps import apps

    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))  # stable: the rest keep their order
    # The grouped tests (minutes in one worker) first among the transactional ones: started last, they would leave
    # the other worker idle while they finish
    grouped = [item for item in items if item.nodeid.startswith(tuple(XDIST_GROUPS))]
    rest = [item for item in items if not item.nodeid.startswith(tuple(XDIST_GROUPS))]
    first = next((n for n, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = rest[:first] + grouped + rest[first:]
    every_app = [config.name for config in apps.get_app_configs()]
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback"):
            continue
        if marker.kwargs.get("available_apps") is None:
            item.add_marker(pytest.mark.django_db(**{**marker.kwargs, "available_apps": every_app}), append=False)


@pytest.fixture(autouse=True)
def _seeded_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        # content types and permissions are not in the serialized copy, and the flush before may have removed them;
        # a test naming its apps (every one but the serialized, see above) has had them from Django's own post_migrate
        if marker.kwargs.get("available_apps") is None:
            emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
        _seeds_ensure()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Redis outlives each test's rolled-back transaction; cached rows must not.
    _forget_cached_keys()
    yield
    _forget_cached_keys()


@pytest.fixture
def queue(agent):
    return QueueFactory(members=[agent])


@pytest.fixture
def other_queue():
    return QueueFactory()


@pytest.fixture
def requester(db):
    return UserFactory(role=Role.REQUESTER)


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def fake_aws(monkeypatch) -> FakeAws:
    """The AWS gateway's functions answering from memory (tests/integrations/fake_aws.py)."""
    return FakeAws().install(monkeypatch)


@pytest.fixture
def prod_account(db) -> AwsAccount:
    return AwsAccount.objects.create(
        account_id="111122223333",
        name="Payments prod",
        environment="production",
        owner_queue=QueueFactory(),
        role_arn="arn:aws:iam::111122223333:role/SupportdeskRead",
    )


@pytest.fixture
def fake_slack(settings):
    """The sandbox's fake Slack on a free port, and the portal configured to use it."""
    fake = FakeSlack(token="xoxb-test", signing_secret=SLACK_SIGNING_SECRET)
    server = serve(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SLACK_BOT_TOKEN = fake.token
    settings.SLACK_SIGNING_SECRET = SLACK_SIGNING_SECRET
    settings.SLACK_API_URL = f"http://127.0.0.1:{server.server_address[1]}/slack/api/"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def json_log(monkeypatch):
    """The console handler as LOG_FORMAT=json sets it up (its filters kept), writing to a buffer: returns a function
    giving the lines logged so far, parsed."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    monkeypatch.setattr(handler, "formatter", JsonLines())
    monkeypatch.setattr(handler, "stream", stream)
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
