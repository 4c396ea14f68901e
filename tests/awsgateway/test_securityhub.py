import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY
from moto import mock_aws

from awsgateway import eventbridge, securityhub
from awsgateway.errors import AwsAccessDenied, AwsThrottled

from .helpers import stubbed

SAMPLES = Path(__file__).parent.parent / "integrations" / "samples"


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def _control_finding(**changes) -> dict:
    raw = copy.deepcopy(_sample("securityhub_imported_fsbp")["detail"]["findings"][0])
    raw.update(changes)
    return raw


@mock_aws
def test_findings_are_read_page_by_page_from_moto(access):
    hub = boto3.client("securityhub", region_name="eu-west-1")
    hub.enable_security_hub()
    imported = [_control_finding(Id=f"finding-{n}", AwsAccountId="123456789012") for n in range(150)]
    for start in range(0, 150, 100):
        assert hub.batch_import_findings(Findings=imported[start : start + 100])["FailedCount"] == 0

    found = list(securityhub.findings(access, "eu-west-1", since=None))

    assert sorted(f.id for f in found) == sorted(f"finding-{n}" for n in range(150))
    assert found[0].severity_label == "CRITICAL" and found[0].compliance_status == "FAILED"
    assert found[0].resources[0].tags == (("team", "payments"),)


def test_a_first_poll_asks_for_live_findings_and_later_ones_for_what_changed(monkeypatch, access):
    since = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    with stubbed(monkeypatch, access, "securityhub") as stub:
        first = {
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
            "WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"}, {"Value": "NOTIFIED", "Comparison": "EQUALS"}],
        }
        stub.add_response(
            "get_findings",
            {"Findings": [_control_finding()], "NextToken": "page-2"},
            {"Filters": first, "MaxResults": 100},
        )
        stub.add_response(
            "get_findings", {"Findings": []}, {"Filters": first, "MaxResults": 100, "NextToken": "page-2"}
        )
        stub.add_response("get_findings", {"Findings": []}, {"Filters": {"UpdatedAt": ANY}, "MaxResults": 100})

        assert len(list(securityhub.findings(access, None, since=None))) == 1
        assert list(securityhub.findings(access, None, since=since)) == []


def test_the_since_filter_starts_at_the_cursor(monkeypatch, access):
    since = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    filters = securityhub._filters(since)["UpdatedAt"][0]
    assert filters["Start"] == "2026-03-10T14:00:00.000000Z"
    assert datetime.fromisoformat(filters["End"].replace("Z", "+00:00")) > datetime.now(UTC)


def test_resolving_sends_the_workflow_and_note_and_returns_what_was_not_updated(monkeypatch, access):
    ids = [(f"finding-{n}", "arn:aws:securityhub:eu-west-1::product/aws/securityhub") for n in range(101)]
    with stubbed(monkeypatch, access, "securityhub") as stub:
        expected = {
            "FindingIdentifiers": [{"Id": i, "ProductArn": p} for i, p in ids[:100]],
            "Workflow": {"Status": "RESOLVED"},
            "Note": {"Text": "Resolved in Supportdesk by Jo (SD-1).", "UpdatedBy": "Supportdesk"},
        }
        stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": []}, expected)
        refused = {
            "FindingIdentifier": {"Id": ids[100][0], "ProductArn": ids[100][1]},
            "ErrorCode": "FindingNotFound",
            "ErrorMessage": "Finding not found",
        }
        stub.add_response(
            "batch_update_findings",
            {"ProcessedFindings": [], "UnprocessedFindings": [refused]},
            {**expected, "FindingIdentifiers": [{"Id": ids[100][0], "ProductArn": ids[100][1]}]},
        )

        unprocessed = securityhub.findings_resolve(
            access, "eu-west-1", findings=ids, note="Resolved in Supportdesk by Jo (SD-1).", by="Supportdesk"
        )

    assert unprocessed == [securityhub.Unprocessed("finding-100", "FindingNotFound", "Finding not found")]


@pytest.mark.parametrize(
    ("code", "error"), [("AccessDeniedException", AwsAccessDenied), ("TooManyRequestsException", AwsThrottled)]
)
def test_refusals_and_throttling_are_translated(monkeypatch, access, code, error):
    with stubbed(monkeypatch, access, "securityhub") as stub:
        stub.add_client_error("batch_update_findings", service_error_code=code, http_status_code=403)
        with pytest.raises(error):
            securityhub.findings_resolve(access, None, findings=[("f", "p")], note="n", by="Supportdesk")


@pytest.mark.parametrize(
    ("severity", "label"),
    [(1, "LOW"), (3.9, "LOW"), (4, "MEDIUM"), (6.9, "MEDIUM"), (7, "HIGH"), (8.9, "HIGH"), (9, "CRITICAL")],
)
def test_guardduty_severities_are_labelled_by_awss_ranges(severity, label):
    assert securityhub.guardduty_label(severity) == label


def test_a_guardduty_event_reads_into_the_finding_security_hub_would_import():
    raw = eventbridge.security_findings(_sample("guardduty_finding"))[0]
    imported = eventbridge.security_findings(_sample("securityhub_imported_guardduty"))[0]

    assert (raw.id, raw.product_arn, raw.account_id) == (imported.id, imported.product_arn, imported.account_id)
    assert (raw.severity_label, raw.record_state, raw.workflow_status) == ("HIGH", "ACTIVE", "")  # not said
    assert raw.resources[0].id == "i-99999999" and raw.resources[0].tags == (("team", "payments"),)
    assert raw.updated_at == datetime(2026, 3, 10, 15, 2, 31, 497000, tzinfo=UTC)
    assert imported.updated_at - raw.updated_at == timedelta(0)


@pytest.mark.parametrize(
    ("normalized", "label"), [(95, "CRITICAL"), (70, "HIGH"), (40, "MEDIUM"), (1, "LOW"), (0, "INFORMATIONAL")]
)
def test_a_finding_without_a_label_is_labelled_from_its_normalized_severity(normalized, label):
    assert securityhub.from_asff(_control_finding(Severity={"Normalized": normalized})).severity_label == label
