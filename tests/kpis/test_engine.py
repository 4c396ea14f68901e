from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from kpis import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_sqlite(monkeypatch):
    """The make-run demo's database, as far as the KPI engine can tell."""
    monkeypatch.setattr("kpis.engine.connection", SimpleNamespace(vendor="sqlite"))


@pytest.mark.parametrize("path", ["/dashboard/", "/trends/", "/dashboard/chart/flow/"])
def test_on_sqlite_kpi_pages_say_they_need_postgresql_instead_of_failing(client, manager, on_sqlite, path):
    client.force_login(manager)
    response = client.get(path)
    assert response.status_code == 200
    assert "computed by PostgreSQL" in response.content.decode()


def test_on_sqlite_a_dashboard_panel_is_a_fragment_saying_so(client, manager, on_sqlite):
    client.force_login(manager)
    body = client.get("/dashboard/panel/headline/", headers={"HX-Request": "true"}).content.decode()
    assert "computed by PostgreSQL" in body and "<html" not in body


def test_on_sqlite_the_kpi_tasks_do_nothing_and_the_rebuild_explains(on_sqlite):
    assert tasks.facts_refresh_task() == 0
    assert tasks.kpi_snapshots_task() == 0
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("kpi_facts_rebuild")


def test_requesters_still_get_403_not_the_explanation(client, requester, on_sqlite):
    client.force_login(requester)
    assert client.get("/dashboard/").status_code == 403
