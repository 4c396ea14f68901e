"""The `make run` demo keeps its data in SQLite: its dashboard, trends, finance figures, drill-downs and targets
must be what PostgreSQL computes from the same history, figure for figure (and the same tickets must show the
maintenance windows they were raised during)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .demo_figures import figures, history_build

ROOT = Path(__file__).resolve().parents[2]
ON_SQLITE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.kpis.demo_figures import figures, history_build
history_build()
print(json.dumps(figures()))
"""


@pytest.mark.django_db
def test_the_sqlite_demo_computes_every_figure_as_postgresql_does(tmp_path):
    # given: the demo's settings on a new SQLite database, in a process of its own, building the same history
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "CACHE_URL": "locmemcache://",
        "DJANGO_SECRET_KEY": "test-only-secret-key-for-the-sqlite-demo",
    }
    sqlite = subprocess.Popen(
        [sys.executable, "-c", ON_SQLITE], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # when: both read every figure
    history_build()
    on_postgresql = json.loads(json.dumps(figures()))
    out, err = sqlite.communicate(timeout=600)
    assert sqlite.returncode == 0, err[-4000:]
    on_sqlite = json.loads(out)
    # then: there are figures to compare (tickets, SLAs, percentiles, AWS cases, savings, repeats, targets) ...
    assert on_postgresql["90 days: KPIs"]["created"] > 250
    assert on_postgresql["30 days: KPIs"]["mttr_p90"] > on_postgresql["30 days: KPIs"]["mttr_p50"] > 0
    assert on_postgresql["90 days: KPIs"]["aws_case_hours"] == 4.75  # the median of 2 h 10 min and 7 h 20 min
    assert on_postgresql["90 days: KPIs"]["savings_realised"] > 0
    assert on_postgresql["production: trends repeats"][0][3] == "i-0a1"
    assert [met for *_, met in on_postgresql["targets"]] == [True, False]
    assert [title for title, _ in on_postgresql["raised during maintenance"]] == [
        "Health 0-0",
        "Health 0-1",
        "Health 1-0",
        "Health 1-1",
    ]
    # ... and SQLite's are the same
    differing = sorted(key for key in on_postgresql if on_sqlite.get(key) != on_postgresql[key])
    assert not differing, {key: (on_postgresql[key], on_sqlite.get(key)) for key in differing[:5]}
    assert on_sqlite == on_postgresql
