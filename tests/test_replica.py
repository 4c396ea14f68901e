"""The optional read replica (DATABASE_REPLICA_URL): the KPI dashboard's and the CSV exports' reads go to it, the
rest and every write to the primary. Here the replica is a second connection to the test database (what Django's
TEST MIRROR makes of it), so what it reads must be committed: transactional tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, router
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportdesk.replica import REPLICA, ReplicaRouter, replica_reads
from tickets.models import Ticket

from .factories import TicketFactory

ROOT = Path(__file__).resolve().parent.parent
committed = pytest.mark.django_db(transaction=True)  # the replica's own connection reads only what is committed
# the fixture adds `replica` to DATABASES for the router only; the connection it makes itself
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


@pytest.fixture
def replica(transactional_db, settings):
    """A second connection to the test database under the alias `replica`, as TEST MIRROR makes it. Made by hand,
    after the test's database set-up, which forbids connections to aliases the test does not name."""
    mirror = {**connections["default"].settings_dict, "TEST": {"MIRROR": "default"}}
    settings.DATABASES = {**settings.DATABASES, REPLICA: mirror}  # what the router looks at
    wrapper = load_backend(mirror["ENGINE"]).DatabaseWrapper(mirror, REPLICA)
    setattr(connections._connections, REPLICA, wrapper)
    yield wrapper
    wrapper.close()
    delattr(connections._connections, REPLICA)


def tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


@committed
def test_the_kpi_dashboard_reads_from_the_replica_after_checking_access_on_the_primary(replica, client, manager):
    client.force_login(manager)
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(replica) as replicated:
        responses = [client.get(reverse(name)) for name in ("kpi-dashboard", "kpi-headline", "kpi-accounts")]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "kpis_" in tables(replicated)
    assert "kpis_" not in tables(primary)  # the primary served only the session and the person


@committed
def test_a_ticket_export_streams_its_rows_from_the_replica(replica, client, agent, queue):
    TicketFactory.create_batch(3, queue=queue, title="Replicated")
    client.force_login(agent)
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(replica) as replicated:
        response = client.get(reverse("ticket-export"))
        body = b"".join(response.streaming_content).decode()
    assert body.count("Replicated") == 3
    assert "tickets_ticket" in tables(replicated)
    assert '"tickets_ticket"."title"' not in tables(primary)


@committed
def test_writes_inside_replica_reads_go_to_the_primary(replica, agent, queue):
    ticket = TicketFactory(queue=queue)
    with replica_reads():
        read = Ticket.objects.get(pk=ticket.pk)
        assert read._state.db == REPLICA
        assert router.db_for_write(Ticket, instance=read) == "default"  # not back where it was read from
    assert router.db_for_read(Ticket) == "default"  # outside the block


def test_without_a_replica_everything_reads_from_the_primary(db):
    with replica_reads():
        assert router.db_for_read(Ticket) == "default"
    assert ReplicaRouter().allow_migrate(REPLICA, "tickets") is False
    assert ReplicaRouter().allow_migrate("default", "tickets") is True


def test_database_replica_url_adds_a_mirrored_replica_with_the_primarys_connection_settings():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base", "DJANGO_SECRET_KEY": "x" * 50}
    env |= {"DATABASE_URL": "postgres://app@primary:5432/sd", "DATABASE_REPLICA_URL": "postgres://app@replica:5432/sd"}
    code = (
        "from django.conf import settings as s; r = s.DATABASES['replica']; "
        "print(r['HOST'], r['TEST']['MIRROR'], r['CONN_HEALTH_CHECKS'], "
        "r['OPTIONS'] == s.DATABASES['default']['OPTIONS'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split(" ", 1) == ["replica", "default True True\n"], result.stderr
