import pytest

from awsgateway import clients
from awsgateway.errors import AwsThrottled
from integrations import tasks
from integrations.accounts import services as account_services
from integrations.models import ApiState, AwsAccount
from integrations.tasks import account_capability_refresh_task

from ..awsgateway.helpers import stubbed
from ..factories import QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return AwsAccount.objects.create(account_id="123456789012", name="Payments prod", owner_queue=QueueFactory())


def _access(account):
    return clients.AccountAccess(account_id=account.account_id)


def test_business_plan_account_lists_its_case_severities(monkeypatch, account):
    levels = [
        {"code": c, "name": n}
        for c, n in [
            ("low", "General guidance"),
            ("normal", "System impaired"),
            ("high", "Production system impaired"),
            ("urgent", "Production system down"),
        ]
    ]
    with stubbed(monkeypatch, _access(account), "support") as stub:
        stub.add_response("describe_severity_levels", {"severityLevels": levels}, {"language": "en"})
        account_services.account_capability_refresh(account=account)
    account.refresh_from_db()
    assert account.support_api == ApiState.AVAILABLE
    assert account.case_severities == ["low", "normal", "high", "urgent"]
    assert "up to “Production system down”" in account.capability_note


def test_basic_plan_account_is_explained_in_words(monkeypatch, account):
    with stubbed(monkeypatch, _access(account), "support") as stub:
        stub.add_client_error("describe_severity_levels", service_error_code="SubscriptionRequiredException")
        account_services.account_capability_refresh(account=account)
    account.refresh_from_db()
    assert account.support_api == ApiState.PLAN_TOO_LOW
    assert "Business-level support plan" in account.capability_note


def test_missing_permission_is_named(monkeypatch, account):
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: support:DescribeSeverityLevels"
    )
    with stubbed(monkeypatch, _access(account), "support") as stub:
        stub.add_client_error(
            "describe_severity_levels", service_error_code="AccessDeniedException", service_message=message
        )
        account_services.account_capability_refresh(account=account)
    account.refresh_from_db()
    assert account.support_api == ApiState.DENIED
    assert "support:DescribeSeverityLevels" in account.capability_note


def test_throttling_keeps_what_was_known_and_raises_for_a_retry(monkeypatch, account):
    account.support_api, account.case_severities = ApiState.AVAILABLE, ["low", "normal"]
    account.save()
    with stubbed(monkeypatch, _access(account), "support") as stub:
        stub.add_client_error("describe_severity_levels", service_error_code="ThrottlingException")
        with pytest.raises(AwsThrottled):
            account_services.account_capability_refresh(account=account)
    account.refresh_from_db()
    assert (account.support_api, account.case_severities) == (ApiState.AVAILABLE, ["low", "normal"])
    assert "throttl" in account.capability_note.lower()


def test_the_task_skips_disabled_accounts_without_calling_aws(account):
    account.enabled = False
    account.save()
    assert account_capability_refresh_task.run(account.pk) == "skipped"  # no stub: any AWS call would fail


def test_the_daily_check_fans_out_to_enabled_accounts_only(account, monkeypatch):
    AwsAccount.objects.create(account_id="210987654321", name="Old", owner_queue=account.owner_queue, enabled=False)
    queued = []
    monkeypatch.setattr(tasks.account_capability_refresh_task, "delay", queued.append)
    assert tasks.accounts_capability_refresh_all_task.run() == 1
    assert queued == [account.pk]
