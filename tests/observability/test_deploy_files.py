"""The Grafana dashboard and the Prometheus rules and scrape config in deploy/: they parse, and every metric they
name is one the portal or its workers export (a renamed metric would leave a panel blank and an alert silent)."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from integrations.tasks import health_poll_task

DEPLOY = Path(settings.BASE_DIR) / "deploy"
OURS = re.compile(r"\b(?:supportdesk|django)_[a-z0-9_]+\b")  # our names and django-prometheus's; Prometheus's: up
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}

pytestmark = pytest.mark.django_db


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "supportdesk.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def rules() -> list[dict]:
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in alerts["groups"] for rule in group["rules"]]


@pytest.fixture
def exported(client, metrics_token) -> set[str]:
    """Every sample name the exposition declares (families without samples too), after a request and a task."""
    client.get("/accounts/login/")
    health_poll_task.apply(args=[987654321])
    response = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", response.content.decode(), re.MULTILINE):
        base = name.removesuffix("_total") if kind == "counter" else name
        names |= {base + suffix for suffix in SUFFIXES.get(kind, ("",))}
    return names


def test_every_metric_the_dashboard_shows_is_exported(exported):
    expressions = dashboard_expressions()
    assert len(expressions) >= 20
    for expr in expressions:
        named = set(OURS.findall(expr))
        assert named or "up{" in expr, f"no metric in {expr!r}"
        assert named <= exported, f"{expr!r} names {named - exported}, which nothing exports"


def test_every_metric_the_alert_rules_use_is_exported(exported):
    for rule in rules():
        named = set(OURS.findall(rule["expr"]))
        assert named or "up{" in rule["expr"], rule["alert"]
        assert named <= exported, f"{rule['alert']} names {named - exported}, which nothing exports"
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"]
        assert rule["expr"].count("(") == rule["expr"].count(")")


def test_the_rules_cover_what_must_wake_someone():
    alerts = {rule["alert"]: rule for rule in rules()}
    assert "supportdesk_poll_last_success_age_seconds" in alerts["SupportdeskPollStale"]["expr"]
    assert "1800" in alerts["SupportdeskPollStale"]["expr"]  # thirty minutes past the poll's due time
    assert 'state="dead"' in alerts["SupportdeskDeadNotifications"]["expr"]
    assert alerts["SupportdeskQueueGrowing"]["for"] == "10m"
    assert {"SupportdeskHighErrorRatio", "SupportdeskTargetDown", "SupportdeskBrokerDown"} <= alerts.keys()


def test_prometheus_scrapes_the_web_and_every_worker_with_the_token():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"supportdesk-web", "supportdesk-workers"}
    for job in jobs.values():
        assert job["metrics_path"] == "/metrics"
        assert job["authorization"]["type"] == "Bearer"
        assert "credentials_file" in job["authorization"]  # the token itself is never in the file
    workers = jobs["supportdesk-workers"]["static_configs"][0]["targets"]
    assert {target.split(":")[0] for target in workers} == {
        "worker-notifications",
        "worker-ingestion",
        "worker-polling",
        "worker-default",
    }
