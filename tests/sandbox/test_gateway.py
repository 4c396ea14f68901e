"""The portal's own AWS gateway, unchanged, against the sandbox: the code path `make run` takes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from awsgateway import health, support, trusted_advisor
from awsgateway.errors import AwsPlanTooLow
from tools.sandbox.scenario import BASIC, PRODUCTION

from .helpers import EPOCH


def test_gateway_reads_plan_trusted_advisor_and_health_through_assumed_roles(live, gateway):
    production = gateway(PRODUCTION)
    assert [level.code for level in support.severity_levels(production)][-1] == "critical"
    checks = {c.id: c for c in trusted_advisor.checks(production)}
    live.at_step(5)
    result = trusted_advisor.check_result(production, checks["Qch7DwouX1"])
    assert result.estimated_monthly_savings == Decimal("276.48")
    assert result.flagged[0].details["Instance Name"] == "reporting-batch-1"
    assert result.flagged[0].estimated_monthly_savings == Decimal("276.48")
    events = list(health.events_since(production, EPOCH - timedelta(minutes=1)))
    arns = [e.arn for e in events]
    assert len(arns) == 4
    assert health.event_details(production, arns)[arns[0]]
    tags = {e.value: e.tags for e in health.affected_entities(production, arns)}
    assert tags["i-0c3d5e7f9a1b2c4d6"]["team"] == "payments"


def test_gateway_says_the_basic_plan_is_too_low(gateway):
    with pytest.raises(AwsPlanTooLow):
        support.severity_levels(gateway(BASIC))


def test_gateway_streams_recommendation_resources_from_the_newer_api(live, gateway):
    production = gateway(PRODUCTION)
    checks = {c.id: c for c in trusted_advisor.recommendation_checks(production)}
    by_check = {r.check_id: r for r in trusted_advisor.recommendations(production)}
    assert by_check["HCP4007jGY"].status == "error"
    [resource] = trusted_advisor.recommendation_resources(production, checks["HCP4007jGY"], by_check["HCP4007jGY"].arn)
    assert resource.details["Security Group Name"] == "legacy-bastion-ssh"
