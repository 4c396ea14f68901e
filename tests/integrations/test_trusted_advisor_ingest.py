from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awsgateway.errors import AwsAccessDenied, AwsPlanTooLow, AwsThrottled, AwsUnavailable
from integrations.findings import services as findings_services
from integrations.models import Finding, PollRun, TrustedAdvisorCategory, TrustedAdvisorCheck
from tickets.models import Ticket, TicketEvent

from .fake_aws import LOW_UTILISATION, OPEN_PORTS, idle_instance, open_port

pytestmark = pytest.mark.django_db


def _poll(account):
    findings_services.trusted_advisor_poll(account=account)
    return PollRun.objects.filter(account=account).first()


def _finding_tickets(account):
    return Ticket.objects.filter(kind=Ticket.Kind.AWS_FINDING, aws_account_id=account.account_id)


def test_first_poll_opens_one_ticket_per_check_listing_its_resources(fake_aws, prod_account):
    fake_aws.flag(
        prod_account.account_id, LOW_UTILISATION, idle_instance("i-1", "$10.00"), idle_instance("i-2", "$5.25")
    )

    run = _poll(prod_account)

    ticket = _finding_tickets(prod_account).get()
    assert ticket.queue == prod_account.owner_queue and ticket.environment == "production"
    assert "Low Utilization Amazon EC2 Instances" in ticket.title
    assert "i-1" in ticket.description and "i-2" in ticket.description and "<b>" not in ticket.description
    assert ticket.requester.email == "aws@supportdesk.invalid" and not ticket.requester.is_active
    findings = Finding.objects.filter(account=prod_account).order_by("estimated_monthly_savings")
    assert [f.estimated_monthly_savings for f in findings] == [Decimal("5.25"), Decimal("10.00")]
    assert {f.group.ticket_id for f in findings} == {ticket.pk}
    assert (run.outcome, run.opened, run.updated, run.resolved, run.errors) == ("ok", 1, 0, 0, 0)


def test_an_unchanged_rerun_writes_nothing_but_its_poll_record(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"), idle_instance("i-2"))
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, open_port("sg-1"))
    _poll(prod_account)

    with CaptureQueriesContext(connection) as queries:
        run = _poll(prod_account)

    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    assert len(writes) == 1 and "integrations_pollrun" in writes[0]
    assert (run.opened, run.updated, run.resolved) == (0, 0, 0)


def test_a_changed_resource_updates_its_tickets_timeline(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1", "$10.00"))
    _poll(prod_account)
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1", "$42.00", cpu="0.5%"))

    run = _poll(prod_account)

    ticket = _finding_tickets(prod_account).get()
    event = TicketEvent.objects.filter(ticket=ticket, kind="aws_updated").get()
    assert event.data["summary"] == "1 resource changed"
    assert "i-1" in event.data["lines"][0] and "$42.00" in event.data["lines"][0]
    assert Finding.objects.get().estimated_monthly_savings == Decimal("42.00")
    assert run.updated == 1


def test_the_ticket_resolves_when_the_last_resource_clears_and_reopens_when_one_returns(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"), idle_instance("i-2"))
    _poll(prod_account)

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-2"))
    _poll(prod_account)
    ticket = _finding_tickets(prod_account).get()
    assert ticket.status == "new"
    assert Finding.objects.get(details__contains={"Instance ID": "i-1"}).is_open is False

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION)
    run = _poll(prod_account)
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and run.resolved == 1
    note = TicketEvent.objects.filter(ticket=ticket, kind="status_changed").last().data["note"]
    assert note == "Trusted Advisor no longer flags any resource for this check."

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    _poll(prod_account)
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert _finding_tickets(prod_account).count() == 1
    assert Finding.objects.get(details__contains={"Instance ID": "i-1"}).is_open is True


def test_suppressed_resources_are_not_findings(fake_aws, prod_account):
    from dataclasses import replace

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, replace(idle_instance("i-1"), is_suppressed=True))
    _poll(prod_account)
    assert not Finding.objects.exists() and not _finding_tickets(prod_account).exists()


def test_a_category_switched_to_per_resource_gets_one_ticket_per_resource(fake_aws, prod_account):
    TrustedAdvisorCategory.objects.filter(code="security").update(ticket_per_resource=True)
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, open_port("sg-1", "22"), open_port("sg-1", "3389"))
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"), idle_instance("i-2"))

    _poll(prod_account)

    tickets = _finding_tickets(prod_account)
    assert tickets.count() == 3  # two open ports, one grouped cost ticket
    security = tickets.filter(tags__name="security").order_by("pk")
    assert [t.severity.name for t in security] == ["SEV2", "SEV2"]  # an error on production security


def test_a_check_switched_to_per_resource_overrides_its_category(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"), idle_instance("i-2"))
    _poll(prod_account)  # learns the checks
    TrustedAdvisorCheck.objects.filter(check_id=LOW_UTILISATION.id).update(ticketing="per_resource")
    fake_aws.flag(
        prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"), idle_instance("i-2"), idle_instance("i-3")
    )

    _poll(prod_account)

    # the grouped ticket keeps its two; the resource flagged after the switch gets its own
    assert _finding_tickets(prod_account).count() == 2


def test_renaming_an_instance_keeps_its_finding(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    _poll(prod_account)
    renamed = idle_instance("i-1")
    renamed.details["Instance Name"] = "web-renamed"
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, renamed)

    _poll(prod_account)

    assert Finding.objects.count() == 1 and Finding.objects.get().details["Instance Name"] == "web-renamed"


def test_one_failing_check_is_counted_and_the_others_still_apply(fake_aws, prod_account):
    fake_aws.check_errors[OPEN_PORTS.id] = AwsAccessDenied(
        "AWS denied access to support:DescribeTrustedAdvisorCheckResult."
    )
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))

    run = _poll(prod_account)

    assert (run.outcome, run.opened, run.errors) == ("partial", 1, 1)
    assert "Security Groups - Specific Ports Unrestricted: AWS denied access" in run.message


def test_a_basic_plan_is_recorded_in_words_and_not_retried(fake_aws, prod_account):
    fake_aws.fail_with = AwsPlanTooLow("This API needs a Business-level support plan or higher.")

    run = _poll(prod_account)

    assert run.outcome == "failed" and "Business-level support plan" in run.message
    assert "Trusted Advisor checks and Health events cannot be read" in run.message


def test_throttling_is_recorded_then_raised_for_a_retry(fake_aws, prod_account):
    fake_aws.fail_with = AwsThrottled("AWS is throttling requests; will retry.")

    with pytest.raises(AwsThrottled):
        findings_services.trusted_advisor_poll(account=prod_account)

    run = PollRun.objects.get()
    assert run.outcome == "failed" and "will retry" in run.message


def test_checks_are_learned_with_identity_columns_that_leave_out_volatile_ones(fake_aws, prod_account):
    _poll(prod_account)
    low = TrustedAdvisorCheck.objects.get(check_id=LOW_UTILISATION.id)
    ports = TrustedAdvisorCheck.objects.get(check_id=OPEN_PORTS.id)
    assert low.identity_headings == ["Region/AZ", "Instance ID"]  # a resized instance is the same instance
    assert ports.identity_headings == ["Region", "Security Group ID", "Protocol", "Port"]


@pytest.mark.parametrize(
    ("headings", "identity"),
    [
        (["Region", "Cluster", "Instance Type", "Reason", "Estimated Monthly Savings"], ["Region", "Cluster"]),
        (["Region", "Volume ID", "Volume Name", "Volume Type", "Volume Size"], ["Region", "Volume ID"]),
        (["Region/AZ", "Instance Type", "Platform", "Instance Count"], ["Region/AZ", "Instance Type", "Platform"]),
        (["Bucket Name", "Storage Class", "Status"], ["Bucket Name", "Storage Class"]),
        # a type of something else than the id's resource tells two records of one zone apart
        (
            ["Hosted Zone Name", "Hosted Zone ID", "Resource Record Set Name", "Resource Record Set Type"],
            ["Hosted Zone ID", "Resource Record Set Name", "Resource Record Set Type"],
        ),
        (
            ["Region", "Security Group Name", "Security Group ID", "Protocol", "Port"],
            ["Region", "Security Group ID", "Protocol", "Port"],
        ),
    ],
)
def test_names_and_types_identify_a_resource_only_when_nothing_else_does(headings, identity):
    from integrations.findings.services import identity_headings_default

    assert identity_headings_default(headings) == identity


def test_a_resized_instance_keeps_its_finding_and_its_savings_are_found_once(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1", "$10.00"))
    _poll(prod_account)
    resized = idle_instance("i-1", "$20.00")
    resized.details["Instance Type"] = "m5.xlarge"
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, resized)

    run = _poll(prod_account)

    finding = Finding.objects.get(account=prod_account)
    assert (finding.is_open, finding.estimated_monthly_savings) == (True, Decimal("20.00"))
    assert (run.opened, run.resolved) == (0, 0)


def test_the_newer_api_streams_pages_and_clears_only_what_no_page_flagged(fake_aws, prod_account, monkeypatch):
    monkeypatch.setattr("integrations.findings.services.PAGE", 2)
    fake_aws.newer_ta_api = True
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}") for n in range(5)))
    _poll(prod_account)
    assert Finding.objects.filter(is_open=True).count() == 5
    assert "result Qch7DwouX1" not in fake_aws.calls  # the Support API was not needed
    assert not TicketEvent.objects.filter(kind="aws_updated").exists()  # later pages join the new ticket quietly

    # i-0 (first page) and i-4 (last page) clear; the rest span three pages and stay open
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}") for n in range(1, 4)))
    run = _poll(prod_account)

    open_ids = sorted(f.details["Instance ID"] for f in Finding.objects.filter(is_open=True))
    assert open_ids == ["i-1", "i-2", "i-3"]
    event = TicketEvent.objects.get(kind="aws_updated")
    assert event.data["summary"] == "2 resources cleared"
    assert (run.updated, run.resolved) == (1, 0)


def test_without_the_newer_api_the_support_api_answers(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    _poll(prod_account)
    assert "result Qch7DwouX1" in fake_aws.calls and Finding.objects.count() == 1


@pytest.mark.parametrize(
    "failure",
    [
        AwsThrottled("AWS is throttling requests; will retry."),
        AwsUnavailable("AWS is unreachable; will retry."),
    ],
)
def test_a_throttled_or_failing_newer_api_backs_off_rather_than_falling_back(fake_aws, prod_account, failure):
    fake_aws.newer_ta_api, fake_aws.newer_ta_api_error = True, failure
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))

    with pytest.raises(type(failure)):
        findings_services.trusted_advisor_poll(account=prod_account)

    assert not any(call.startswith("result ") for call in fake_aws.calls)  # no burst of Support API calls
    assert PollRun.objects.get().outcome == "failed"


def test_pages_of_several_checks_share_a_batch_and_each_check_clears_only_its_own(fake_aws, prod_account, monkeypatch):
    monkeypatch.setattr("integrations.findings.services.PAGE", 3)
    fake_aws.newer_ta_api = True
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}") for n in range(5)))
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, open_port("sg-1"), open_port("sg-2"))
    run = _poll(prod_account)
    assert (run.opened, _finding_tickets(prod_account).count(), Finding.objects.count()) == (2, 2, 7)

    # The big check loses i-0 (its first page) and the small one sg-2, in batches that mix the two checks
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}") for n in range(1, 5)))
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, open_port("sg-1"))
    run = _poll(prod_account)

    cleared = Finding.objects.filter(is_open=False)
    assert sorted(f.details.get("Instance ID") or f.details["Security Group ID"] for f in cleared) == ["i-0", "sg-2"]
    assert (run.opened, run.updated, run.resolved) == (0, 2, 0)
    assert all(t.status == "new" for t in _finding_tickets(prod_account))


def test_tickets_filed_by_one_poll_cost_a_few_queries_each(fake_aws, prod_account):
    TrustedAdvisorCategory.objects.filter(code=LOW_UTILISATION.category).update(ticket_per_resource=True)
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-0"))
    with CaptureQueriesContext(connection) as one:
        _poll(prod_account)
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}") for n in range(21)))
    with CaptureQueriesContext(connection) as many:
        run = _poll(prod_account)

    assert run.opened == 20 and _finding_tickets(prod_account).count() == 21
    # Each new ticket adds its SLA clock and its queue's channels; the tickets themselves are filed together
    assert len(many) - len(one) <= 3 * 20, "\n".join(q["sql"][:100] for q in many)
