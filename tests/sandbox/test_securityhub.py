"""Security Hub in the sandbox, read and written through the portal's own gateway: what `make run` shows."""

from datetime import timedelta

import pytest

from awsgateway import securityhub, trusted_advisor
from awsgateway.errors import AwsError
from tools.sandbox.scenario import BASIC, DEVELOPMENT, PRODUCTION

from .helpers import EPOCH


def test_findings_appear_on_the_scenario_clock(live, gateway):
    production = gateway(PRODUCTION)
    first = list(securityhub.findings(production, None, since=None))
    assert [(f.product, f.severity_label) for f in first] == [("Security Hub", "CRITICAL")]
    assert first[0].resources[0].tags == (("team", "payments"),)
    live.at_step(2)
    later = list(securityhub.findings(production, None, since=first[0].updated_at + timedelta(seconds=1)))
    assert [(f.product, f.severity_label) for f in later] == [("GuardDuty", "HIGH")]


def test_a_control_that_passes_is_resolved_and_informational_and_read_as_a_change(live, gateway):
    development = gateway(DEVELOPMENT)
    live.at_step(10)
    assert list(securityhub.findings(development, None, since=None)) == []  # no longer live
    [passed] = securityhub.findings(development, None, since=EPOCH + timedelta(minutes=1))
    assert (passed.compliance_status, passed.workflow_status, passed.severity_label) == (
        "PASSED",
        "RESOLVED",
        "INFORMATIONAL",
    )


def test_resolving_a_finding_sticks_without_moving_updated_at(live, gateway):
    production = gateway(PRODUCTION)
    [finding] = securityhub.findings(production, None, since=None)
    assert securityhub.findings_resolve(
        production, None, findings=[(finding.id, finding.product_arn), ("nope", finding.product_arn)], note="n", by="b"
    ) == [securityhub.Unprocessed("nope", "FindingNotFound", "Not found")]
    assert list(securityhub.findings(production, None, since=None)) == []
    [after] = securityhub.findings(production, None, since=finding.updated_at)
    assert after.workflow_status == "RESOLVED" and after.updated_at == finding.updated_at


def test_an_account_without_security_hub_is_refused_in_awss_words(gateway):
    with pytest.raises(AwsError, match="not subscribed to AWS Security Hub"):
        list(securityhub.findings(gateway(BASIC), None, since=None))


def test_excluded_trusted_advisor_resources_say_so(live, gateway):
    production = gateway(PRODUCTION)
    checks = {c.id: c for c in trusted_advisor.recommendation_checks(production)}
    [recommendation] = [r for r in trusted_advisor.recommendations(production) if r.check_id == "HCP4007jGY"]
    [resource] = trusted_advisor.recommendation_resources(production, checks["HCP4007jGY"], recommendation.arn)
    assert not resource.is_suppressed

    assert trusted_advisor.resources_exclude(production, [resource.arn]) == []

    [again] = trusted_advisor.recommendation_resources(production, checks["HCP4007jGY"], recommendation.arn)
    assert again.is_suppressed
