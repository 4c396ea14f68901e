"""Which columns identify a flagged resource: never one that changes while it stays flagged."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps

from awsgateway.trusted_advisor import TaCheck, TaFlaggedResource
from integrations.findings import services as findings_services
from integrations.findings.services import identity_headings_default, resource_key
from integrations.models import Finding, FindingGroup, TrustedAdvisorCheck

CATALOGUE = json.loads((Path(__file__).resolve().parents[2] / "tools" / "sandbox" / "checks.json").read_text())

# What identifies a resource of each check, from AWS's documentation of its columns
IDENTITY = {
    "Qch7DwouX1": ["Region/AZ", "Instance ID"],
    "hjLMh88uM8": ["Region", "Load Balancer Name"],
    "G31sQ1E9U": ["Region", "Cluster"],
    "HCP4007jGY": ["Region", "Security Group ID", "Protocol", "Ports"],
    "Pfx0RwqBli": ["Region Name", "Region API Parameter", "Bucket Name"],  # not which permissions allow what
    "DqdJqYeRm5": ["IAM User", "Access Key"],
    "12Fnkpl8Y5": ["Access Key ID", "User Name (IAM or Root)"],  # not Case ID, Time Updated, Deadline, Location
    "f2iK5R6Dep": ["Region/AZ", "DB Instance", "VPC ID", "Multi-AZ"],
    "H7IgTzjTYb": ["Region", "Volume ID", "Snapshot ID"],  # not whether the volume is attached
    "ZRxQlPsb6c": ["Region/AZ", "Instance ID"],
    "0Xc6LMYG8P": ["Region", "Service", "Limit Name"],
    "lN7RR0l7J9": ["Region", "Service", "Limit Name"],
}

EXPOSED_KEYS = TaCheck(
    id="12Fnkpl8Y5",
    name="Exposed Access Keys",
    category="security",
    description="Checks popular code repositories for access keys that have been exposed to the public.",
    headings=tuple(next(c for c in CATALOGUE if c["id"] == "12Fnkpl8Y5")["metadata"]),
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("check", CATALOGUE, ids=[c["name"] for c in CATALOGUE])
def test_every_catalogued_check_is_identified_by_its_stable_columns_only(check):
    assert identity_headings_default(check["metadata"]) == IDENTITY[check["id"]]


def test_the_expectations_cover_the_whole_catalogue():
    assert IDENTITY.keys() == {c["id"] for c in CATALOGUE}


def _exposed_key(case_id: str, updated: str, deadline: str) -> TaFlaggedResource:
    values = [
        "AKIAQX7EXAMPLEKEY001",
        "ci-deployer",
        "Exposed",
        case_id,
        updated,
        "https://github.com/acme/ci/blob/main/.env",
        deadline,
        "0.12",
    ]
    return TaFlaggedResource(
        check_id=EXPOSED_KEYS.id,
        resource_id="opaque-key-1",
        status="error",
        region="",
        is_suppressed=False,
        details=dict(zip(EXPOSED_KEYS.headings, values, strict=True)),
        estimated_monthly_savings=None,
    )


def test_a_refreshed_exposed_key_updates_its_finding_rather_than_adding_one(fake_aws, prod_account):
    fake_aws.checks = [EXPOSED_KEYS]
    fake_aws.flag(prod_account.account_id, EXPOSED_KEYS, _exposed_key("1111", "2026-11-27 09:00", "2026-11-28"))
    findings_services.trusted_advisor_poll(account=prod_account)
    fake_aws.flag(prod_account.account_id, EXPOSED_KEYS, _exposed_key("2222", "2026-11-27 10:00", "2026-11-29"))

    findings_services.trusted_advisor_poll(account=prod_account)

    finding = Finding.objects.get()
    assert finding.is_open and finding.details["Case ID"] == "2222"


def test_stored_identities_lose_their_volatile_columns_and_findings_are_rekeyed_without_reopening(
    fake_aws, prod_account
):
    # given: the check as an older release learned it, with a refresh already split into two findings
    fake_aws.checks = [EXPOSED_KEYS]
    fake_aws.flag(prod_account.account_id, EXPOSED_KEYS, _exposed_key("1111", "2026-11-27 09:00", "2026-11-28"))
    findings_services.trusted_advisor_poll(account=prod_account)
    old_identity = [h for h in EXPOSED_KEYS.headings if h != "Usage (USD per Day)"]
    check = TrustedAdvisorCheck.objects.get()
    check.identity_headings = old_identity
    check.save()
    first = Finding.objects.get()
    first.resource_key = resource_key(check.check_id, old_identity, first.details)
    first.is_open = False
    first.save()
    FindingGroup.objects.filter(pk=first.group_id).update(resource_key="")
    twin = _exposed_key("2222", "2026-11-27 10:00", "2026-11-29").details
    Finding.objects.create(
        account=prod_account,
        ta_check=check,
        group=first.group,
        status="error",
        details=twin,
        fingerprint="x",
        resource_key=resource_key(check.check_id, old_identity, twin),
        first_seen_at=first.first_seen_at,
        changed_at=first.changed_at,
    )
    migration = importlib.import_module("integrations.migrations.0010_ta_identity_without_volatile_columns")

    # when
    migration.identities_drop_volatile_columns(apps, None)

    # then: the open twin takes the new key; nothing opened, reopened or cleared
    check.refresh_from_db()
    assert check.identity_headings == ["Access Key ID", "User Name (IAM or Root)"]
    kept = Finding.objects.get(details__contains={"Case ID": "2222"})
    assert kept.is_open and kept.resource_key == resource_key(check.check_id, check.identity_headings, twin)
    assert Finding.objects.filter(is_open=True).count() == 1
    # and the next refresh updates that finding
    fake_aws.flag(prod_account.account_id, EXPOSED_KEYS, _exposed_key("3333", "2026-11-27 11:00", "2026-11-30"))
    findings_services.trusted_advisor_poll(account=prod_account)
    kept.refresh_from_db()
    assert kept.is_open and kept.details["Case ID"] == "3333"
    assert Finding.objects.count() == 2


def test_an_admins_stable_identity_is_left_alone_by_the_migration(prod_account):
    check = TrustedAdvisorCheck.objects.create(
        check_id="x1",
        name="Custom",
        category="security",
        headings=["Region", "Key"],
        identity_headings=["Region", "Key"],
    )
    migration = importlib.import_module("integrations.migrations.0010_ta_identity_without_volatile_columns")

    migration.identities_drop_volatile_columns(apps, None)

    check.refresh_from_db()
    assert check.identity_headings == ["Region", "Key"]
