"""The scale-out bench's own arithmetic and its duplicate count (the bench itself runs in `make bench`)."""

import os

import pytest
from django.db import connection

from integrations.models import AwsAccount, FindingGroup, TrustedAdvisorCheck
from tickets.models import Ticket
from tools.bench.scaleout import duplicates_count, efficiency, proc_cpu_seconds, proc_rss_mib, projected_seconds

from ..factories import QueueFactory, TicketFactory


def test_efficiency_is_throughput_over_workers_times_one():
    assert efficiency(2.0, workers=2, single=1.0) == 1.0
    assert efficiency(1.6, workers=2, single=1.0) == pytest.approx(0.8)
    assert efficiency(2.0, workers=4, single=1.0) == 0.5
    assert efficiency(1.0, workers=1, single=0.0) == 0.0  # no single-worker run: no figure, no division by zero


def test_a_cycle_on_free_cores_shares_the_accounts_cpu_between_the_workers():
    assert projected_seconds(accounts=1000, cpu_per_account=0.4, workers=4) == pytest.approx(100)


def test_process_figures_come_from_proc_and_end_with_the_process():
    assert proc_cpu_seconds(os.getpid()) > 0
    assert proc_rss_mib(os.getpid()) > 10  # a Python process with Django loaded
    assert proc_cpu_seconds(2**22 + 1) is None  # above pid_max's default: no such process
    assert proc_rss_mib(2**22 + 1) is None


@pytest.mark.django_db
def test_duplicates_count_a_second_aws_ticket_for_the_same_finding():
    # given: a finding group and its ticket, and a ticket of another kind
    account = AwsAccount.objects.create(account_id="300000000000", name="Bench 0", owner_queue=QueueFactory())
    check = TrustedAdvisorCheck.objects.create(check_id="Qch7DwouX1", name="Low Utilization", category="cost")
    held = TicketFactory()
    Ticket.objects.filter(pk=held.pk).update(kind=Ticket.Kind.AWS_FINDING)
    FindingGroup.objects.create(account=account, ta_check=check, resource_key="", ticket=held)
    TicketFactory()
    with connection.cursor() as cursor:
        assert duplicates_count(cursor) == 0
    # when: a twin was filed for it and lost the race for the group
    twin = TicketFactory()
    Ticket.objects.filter(pk=twin.pk).update(kind=Ticket.Kind.AWS_FINDING)
    # then
    with connection.cursor() as cursor:
        assert duplicates_count(cursor) == 1
