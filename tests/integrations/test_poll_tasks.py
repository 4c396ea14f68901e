import pytest
from django.core.cache import cache

from integrations import tasks
from integrations.aws.errors import AwsThrottled
from integrations.models import PollRun
from tickets.models import Ticket

from .fake_aws import LOW_UTILISATION, idle_instance

pytestmark = pytest.mark.django_db


def test_a_task_run_twice_duplicates_nothing(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))

    tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk])
    tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk])

    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def test_a_throttled_poll_retries_and_then_finishes(fake_aws, prod_account, monkeypatch):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    answers = iter([AwsThrottled("AWS is throttling requests; will retry.")])
    real_checks = fake_aws.ta_checks

    def throttled_once(access):
        for exc in answers:
            raise exc
        return real_checks(access)

    monkeypatch.setattr("integrations.aws.trusted_advisor.checks", throttled_once)

    result = tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk])

    assert result.successful()
    assert list(PollRun.objects.order_by("started_at").values_list("outcome", flat=True)) == ["failed", "ok"]
    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def test_a_poll_already_running_for_the_account_is_skipped(fake_aws, prod_account):
    cache.add(f"integrations:poll:health:{prod_account.pk}", 1, timeout=60)
    try:
        assert tasks.health_poll_task.apply(args=[prod_account.pk]).get() == "skipped: already running"
    finally:
        cache.delete(f"integrations:poll:health:{prod_account.pk}")
    assert not PollRun.objects.exists()


def test_disabled_accounts_are_not_polled(fake_aws, prod_account, monkeypatch):
    prod_account.enabled = False
    prod_account.save()
    queued = []
    monkeypatch.setattr(tasks.trusted_advisor_poll_task, "delay", queued.append)

    assert tasks.trusted_advisor_poll_all_task() == 0
    assert tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk]).get() == "skipped: disabled or gone"


def test_accounts_known_to_lack_api_access_are_not_polled_until_their_plan_changes(prod_account, monkeypatch):
    prod_account.support_api = "plan_too_low"
    prod_account.save()
    queued = []
    monkeypatch.setattr(tasks.trusted_advisor_poll_task, "delay", queued.append)
    monkeypatch.setattr(tasks.health_poll_task, "delay", queued.append)

    assert tasks.trusted_advisor_poll_all_task() == tasks.health_poll_all_task() == 0
    prod_account.support_api = "available"  # the daily capability check saw an upgrade
    prod_account.save()
    assert tasks.trusted_advisor_poll_all_task() == tasks.health_poll_all_task() == 1


def test_poll_records_older_than_ninety_days_are_forgotten(prod_account):
    from datetime import timedelta

    from django.utils import timezone

    def run(days_ago):
        started = timezone.now() - timedelta(days=days_ago)
        return PollRun.objects.create(account=prod_account, source="health", started_at=started, outcome="ok")

    old, recent = run(91), run(89)

    assert tasks.poll_runs_prune_task.apply().get() == 1
    assert list(PollRun.objects.all()) == [recent] and old.pk not in PollRun.objects.values_list("pk", flat=True)
