"""Pushed and polled views of one Trusted Advisor resource, and runs racing each other, meet on one ticket."""

import threading

import pytest
from django.db import connection

from awsgateway.errors import AwsUnavailable
from integrations.findings import services as findings_services
from integrations.models import Finding, FindingGroup, PollRun
from integrations.push import services as push_services
from tickets.models import Ticket

from .fake_aws import LOW_UTILISATION, T0_ISO, idle_instance

pytestmark = pytest.mark.django_db


def _pushed(account_id: str, instance_id: str, status: str = "WARN", savings: str = "$12.50") -> dict:
    values = ["eu-west-1a", instance_id, "web", "m5.large", savings, "1%", "1.2%", "14"]
    return {
        "version": "0",
        "id": "1d9f7c4a-0c5e-4a44-9a4c-2f1b1a0e3b1f",
        "detail-type": "Trusted Advisor Check Item Refresh Notification",
        "source": "aws.trustedadvisor",
        "account": account_id,
        "time": T0_ISO,
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "check-name": LOW_UTILISATION.name,
            "check-item-detail": dict(zip(LOW_UTILISATION.headings, values, strict=True)),
            "status": status,
            "resource_id": f"arn:aws:ec2:eu-west-1:{account_id}:instance/{instance_id}",
            "uuid": "aa12345f-55c7-498e-b7ac-123456789012",
        },
    }


def test_a_pushed_then_polled_resource_is_one_finding_on_one_ticket(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION)
    findings_services.trusted_advisor_poll(account=prod_account)  # learns the checks: pushes carry only their names

    assert push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-1")) == "opened"
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    findings_services.trusted_advisor_poll(account=prod_account)

    finding = Finding.objects.get()
    assert finding.resource_arn.endswith("instance/i-1") and finding.resource_id == "opaque-i-1"
    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def test_a_pushed_ok_clears_the_polled_finding(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    findings_services.trusted_advisor_poll(account=prod_account)

    outcome = push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-1", status="OK"))

    assert outcome == "resolved"
    assert Finding.objects.get().is_open is False
    assert Ticket.objects.get(kind="aws_finding").status == "resolved"


def test_a_push_before_the_first_poll_is_kept_and_the_poll_adopts_its_finding(fake_aws, prod_account):
    outcome = push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-1"))

    assert outcome == "opened"  # the check list was read from AWS on the spot
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    findings_services.trusted_advisor_poll(account=prod_account)
    finding = Finding.objects.get()
    assert (finding.is_open, finding.resource_id) == (True, "opaque-i-1")
    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def test_a_push_whose_check_list_cannot_be_read_yet_is_left_for_sns_to_redeliver(fake_aws, prod_account):
    fake_aws.fail_with = AwsUnavailable("AWS is unreachable; will retry.")
    with pytest.raises(AwsUnavailable):
        push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-1"))
    fake_aws.fail_with = None

    assert push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-1")) == "opened"


def test_a_check_name_with_a_trailing_space_as_in_awss_sample_is_recognised(fake_aws, prod_account):
    event = _pushed(prod_account.account_id, "i-1")
    event["detail"]["check-name"] += " "
    assert push_services.eventbridge_event_ingest(event=event) == "opened"

    assert push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-2")) == "updated"
    assert Finding.objects.count() == 2


def test_a_push_naming_a_check_aws_does_not_list_is_ignored_with_the_reason(fake_aws, prod_account):
    event = _pushed(prod_account.account_id, "i-1")
    event["detail"]["check-name"] = "A check retired last year"

    outcome = push_services.eventbridge_event_ingest(event=event)

    assert outcome == "ignored: AWS lists no check named “A check retired last year”"
    assert not Finding.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded severities
def test_two_polls_racing_open_one_ticket(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}") for n in range(20)))
    start = threading.Barrier(2)
    errors = []

    def poll():
        try:
            start.wait()
            findings_services.trusted_advisor_poll(account=prod_account)
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Ticket.objects.filter(kind="aws_finding").count() == 1
    assert FindingGroup.objects.count() == 1 and Finding.objects.count() == 20
    assert sorted(PollRun.objects.values_list("opened", flat=True)) == [0, 1]


def test_a_push_that_lands_while_a_poll_runs_is_not_cleared_by_that_poll(fake_aws, prod_account):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.accounts.polls import PollCounts
    from integrations.findings.services import findings_apply
    from integrations.models import TrustedAdvisorCheck

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION)
    findings_services.trusted_advisor_poll(account=prod_account)  # learns the checks
    poll_started = timezone.now() - timedelta(seconds=5)  # the poll read AWS, then the push came
    push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-new"))

    check = TrustedAdvisorCheck.objects.get(check_id=LOW_UTILISATION.id)
    findings_apply(
        account=prod_account,
        check=check,
        flagged=[],
        counts=PollCounts(),
        seen_before=set(),
        poll_started_at=poll_started,
    )

    assert Finding.objects.get().is_open  # the next poll decides, from a listing newer than the push


def test_a_push_that_clears_a_resource_while_a_poll_runs_is_not_undone_by_that_polls_older_listing(
    fake_aws, prod_account
):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.accounts.polls import PollCounts
    from integrations.findings.services import findings_apply, flagged_from_poll
    from integrations.models import TrustedAdvisorCheck

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    findings_services.trusted_advisor_poll(account=prod_account)
    listed_at = timezone.now() - timedelta(seconds=5)  # the next poll read AWS, then a push cleared i-1
    push_services.eventbridge_event_ingest(event=_pushed(prod_account.account_id, "i-1", status="OK"))
    assert not Finding.objects.get().is_open

    check = TrustedAdvisorCheck.objects.get(check_id=LOW_UTILISATION.id)
    stale = flagged_from_poll(check, idle_instance("i-1"))
    findings_apply(
        account=prod_account,
        check=check,
        flagged=[stale],
        counts=PollCounts(),
        seen_before=set(),
        poll_started_at=listed_at,
    )

    assert not Finding.objects.get().is_open  # the push is newer than that listing: the next poll decides
    assert not Ticket.objects.get().is_open
