"""How `make run` brings the sandbox in: when it starts it, and what the demo seed adds for it."""

import os
import socket
import sys
import time
from datetime import UTC, timedelta
from functools import partial
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from demo.management.commands.seed_demo import SANDBOX_POLL_TASKS
from integrations.models import AwsAccount
from notifications.models import Channel, QueueChannel
from supportdesk.celery import app as celery_app
from tickets.models import Queue
from tools import devserver
from tools.devserver import sandbox_wanted


@pytest.mark.parametrize(
    ("env", "credentials_file", "wanted"),
    [
        ({}, False, True),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, False, False),
        ({"AWS_ACCESS_KEY_ID": "AKIAREALKEY000000000"}, False, False),
        ({"AWS_PROFILE": "work"}, False, False),
        ({}, True, False),
    ],
)
def test_sandbox_runs_only_when_no_aws_is_configured(tmp_path, monkeypatch, env, credentials_file, wanted):
    monkeypatch.setenv("HOME", str(tmp_path))
    if credentials_file:
        (tmp_path / ".aws").mkdir()
        (tmp_path / ".aws" / "credentials").write_text("[default]\naws_access_key_id = AKIAREALKEY000000000\n")
    assert sandbox_wanted(env) is wanted


def test_make_run_stops_at_once_saying_which_port_is_taken(monkeypatch, capsys):
    # given: a program listening where the portal would
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = str(holder.getsockname()[1])
        monkeypatch.setenv("PORT", taken)
        monkeypatch.setattr(devserver, "_manage", lambda *args: pytest.fail("nothing should run"))
        # when
        code = devserver.main()
    # then: nothing started, and the person is told what to do
    said = capsys.readouterr().err
    assert code == 1
    assert f"Port {taken} is in use" in said and "start with PORT=<free port>" in said
    assert not devserver.port_taken(taken)  # free again once the holder closed


@pytest.mark.parametrize(
    ("dotenv", "site_url"), [(None, "http://127.0.0.1:8100"), ("SITE_URL=https://desk.example.com\n", None)]
)
def test_notification_links_follow_the_port_unless_dotenv_says_where(tmp_path, monkeypatch, dotenv, site_url):
    monkeypatch.setattr(devserver, "BASE_DIR", tmp_path)
    if dotenv:
        (tmp_path / ".env").write_text(dotenv)
    seen = {}
    monkeypatch.setattr(devserver, "_environment", lambda: {"PORT": "8100", "AWS_ENDPOINT_URL": "http://x"})
    monkeypatch.setattr(devserver, "_ports_taken", lambda ports: ["stop here"])  # main stops before starting
    monkeypatch.setattr(devserver, "sandbox_wanted", lambda env: seen.update(env) or False)

    devserver.main()

    assert seen.get("SITE_URL") == site_url  # None: settings read it from .env


def test_make_run_names_the_sandbox_phone_page_when_the_sandbox_runs(monkeypatch, capsys):
    monkeypatch.setattr(devserver, "_environment", lambda: {"PORT": "8100", "SANDBOX_PORT": "4599"})
    monkeypatch.setattr(devserver, "_ports_taken", lambda ports: [])
    monkeypatch.setattr(devserver, "sandbox_wanted", lambda env: True)
    monkeypatch.setattr(devserver, "_manage", lambda *args: None)
    monkeypatch.setattr(devserver, "supervise", lambda commands, **kwargs: True)
    monkeypatch.setattr(devserver.signal, "signal", lambda *args: None)  # pytest keeps its own Ctrl-C handling

    assert devserver.main() == 0

    assert "the sandbox's phone page instead: http://127.0.0.1:4599/phone/" in capsys.readouterr().out


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_process_that_dies_is_started_again_while_the_rest_keep_running(tmp_path, capsys):
    # given: a worker that dies the first time (killed, say) and then runs, beside a web server that runs
    first_life = tmp_path / "died-once"
    worker = f"import pathlib, sys, time; p = pathlib.Path({str(first_life)!r})\n"
    worker += "if not p.exists(): p.touch(); sys.exit(9)\ntime.sleep(60)"
    deadline = time.monotonic() + 3
    # when: make run supervises them for a few seconds, then is stopped
    clean = devserver.supervise(
        {"web": _python("import time; time.sleep(60)"), "worker": _python(worker)},
        env=dict(os.environ),
        stop_requested=lambda: time.monotonic() > deadline,
    )
    # then: the worker was restarted, the web server never stopped, and the stop was a clean one
    said = capsys.readouterr().out
    assert clean is True
    assert said.count("worker exited with 9; starting it again (the rest keep running).") == 1
    assert "web exited" not in said


def test_a_process_that_keeps_dying_stops_everything_saying_so(monkeypatch, capsys):
    monkeypatch.setattr(devserver, "RESTARTS_ALLOWED", 2)
    clean = devserver.supervise(
        {"web": _python("import time; time.sleep(60)"), "beat": _python("raise SystemExit(3)")},
        env=dict(os.environ),
        stop_requested=lambda: False,
    )
    assert clean is False
    assert "beat exited with 3 3 times within a minute; stopping everything" in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_with_sandbox_adds_its_accounts_once_checks_them_and_polls_every_30_seconds(
    django_capture_on_commit_callbacks,
):
    # given: the poll schedules the integrations migration made (every 30 and 5 minutes)
    assert PeriodicTask.objects.filter(task__in=SANDBOX_POLL_TASKS).count() == len(SANDBOX_POLL_TASKS)
    # when: `make run` seeds twice
    with django_capture_on_commit_callbacks() as checks:
        call_command("seed_demo", "--sandbox", stdout=StringIO())
    call_command("seed_demo", "--sandbox", stdout=StringIO())
    # then: three accounts, once, each with a capability check queued
    accounts = {a.account_id: (a.support_plan, a.role_arn) for a in AwsAccount.objects.all()}
    assert accounts == {
        "111122223333": ("enterprise", "arn:aws:iam::111122223333:role/SupportdeskRead"),
        "444455556666": ("business", "arn:aws:iam::444455556666:role/SupportdeskRead"),
        "777788889999": ("basic", "arn:aws:iam::777788889999:role/SupportdeskRead"),
    }
    queued = [c.args for c in checks if isinstance(c, partial) and c.func == celery_app.send_task]
    check = "integrations.tasks.account_capability_refresh_task"
    assert sorted(queued) == sorted((check, [pk]) for pk in AwsAccount.objects.values_list("pk", flat=True))
    polls = PeriodicTask.objects.filter(task__in=SANDBOX_POLL_TASKS).select_related("interval")
    assert {(p.interval.every, p.interval.period, p.crontab_id) for p in polls} == {(30, "seconds", None)}


@pytest.mark.django_db
def test_seed_without_sandbox_adds_no_aws_accounts():
    call_command("seed_demo", stdout=StringIO())
    assert not AwsAccount.objects.exists()
    assert {p.interval.every for p in PeriodicTask.objects.filter(task__in=SANDBOX_POLL_TASKS)} == {30, 5, 15}


@pytest.mark.django_db
@pytest.mark.parametrize("weekday_hour", [(0, 8), (0, 9), (2, 15), (6, 23)])  # Monday before and at handoff
def test_the_demo_has_on_call_schedules_an_escalation_policy_and_a_rule_once(weekday_hour):
    from escalation.models import EscalationPolicy, SlaPolicy
    from oncall.models import Layer, Override, Schedule
    from oncall.selectors import oncall_people
    from rules.models import Rule
    from tickets.models import Queue

    weekday, hour = weekday_hour
    today = timezone.now().astimezone(UTC)
    moment = (today + timedelta(days=weekday - today.weekday())).replace(hour=hour, minute=0)
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo", stdout=StringIO())
        call_command("seed_demo", stdout=StringIO())
        payments = Queue.objects.get(slug="payments")
        on_call = oncall_people(queue_id=payments.pk, at=timezone.now())
        desk = oncall_people(queue_id=Queue.objects.get(slug="service-desk").pk, at=timezone.now(), layer=1)

    assert Schedule.objects.count() == 2 and Layer.objects.count() == 4 and Override.objects.count() == 1
    policy = EscalationPolicy.objects.get(name="Page the on-call")
    assert [(s.action, s.oncall_layer) for s in policy.steps.all()][1:3] == [("notify_oncall", 1), ("notify_oncall", 2)]
    assert SlaPolicy.objects.get().escalation_policy.name == "Page the on-call"
    assert Rule.objects.get(name="AWS issues in production").start_escalation.name == "Page the on-call"
    # a new SEV1 or SEV2 pages the on-call at once
    assert Rule.objects.get(name="SEV1 and SEV2 page the on-call").start_escalation.steps.first().delay == timedelta(0)
    # the first member, from the start, on both layers of a one-person queue
    assert [(layer.name, person.email) for layer, person in on_call] == [
        ("Primary", "agent@example.com"),
        ("Secondary", "agent@example.com"),
    ]
    assert [person.email for _, person in desk] == ["agent@example.com"]


@pytest.mark.django_db
def test_the_demo_engineers_have_verified_numbers_and_rules_that_tighten_their_teams_defaults():
    from paging.models import ContactMethod, NotificationRule
    from paging.selectors import page_plan
    from tickets.models import Queue

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    alex = ContactMethod.objects.get(user__email="agent@example.com", medium="sms")
    assert alex.is_verified and alex.phone == "+12065550101"
    assert NotificationRule.objects.filter(user__email="jo@example.com").count() == 3
    plan = page_plan(user=alex.user, queue_id=Queue.objects.get(slug="payments").pk, band="urgent")
    assert plan.steps == [(timedelta(0), "sms"), (timedelta(minutes=5), "voice")]  # their own: they tighten


@pytest.mark.parametrize(
    ("env", "dotenv", "faked"),
    [({}, None, True), ({"SLACK_BOT_TOKEN": "xoxb-real"}, None, False), ({}, "SLACK_BOT_TOKEN=xoxb-real\n", False)],
)
def test_make_run_fakes_slack_unless_a_slack_app_is_configured(tmp_path, monkeypatch, env, dotenv, faked):
    monkeypatch.setattr(devserver, "BASE_DIR", tmp_path)
    if dotenv:
        (tmp_path / ".env").write_text(dotenv)
    assert devserver._use_sandbox_slack(env, "8100", "4600") is faked
    if faked:
        assert env["SLACK_API_URL"] == "http://127.0.0.1:4600/slack/api/"
        assert env["SANDBOX_PORTAL_URL"] == "http://127.0.0.1:8100"
        assert env["SLACK_BOT_TOKEN"] == "xoxb-sandbox" and len(env["SLACK_SIGNING_SECRET"]) == 32


@pytest.mark.django_db
def test_seed_with_the_sandboxs_slack_adds_a_slack_channel_hearing_every_queue_once(settings):
    settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL = "xoxb-sandbox", "http://127.0.0.1:4566/slack/api/"
    call_command("seed_demo", "--sandbox", stdout=StringIO())
    call_command("seed_demo", "--sandbox", stdout=StringIO())
    [channel] = Channel.objects.filter(kind=Channel.Kind.SLACK)
    assert channel.slack_channel == "C0SANDBOX1"
    assert QueueChannel.objects.filter(channel=channel).count() == Queue.objects.count()


@pytest.mark.django_db
def test_with_the_sandboxs_slack_the_engineers_are_paged_by_slack_dm_first(settings):
    from paging.models import ContactMethod
    from paging.selectors import page_plan
    from tools.sandbox.slack import FakeSlack

    settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL = "xoxb-sandbox", "http://127.0.0.1:4566/slack/api/"
    call_command("seed_demo", stdout=StringIO())  # first without the sandbox: its rules give way
    call_command("seed_demo", "--sandbox", stdout=StringIO())
    call_command("seed_demo", "--sandbox", stdout=StringIO())

    jo = ContactMethod.objects.get(user__email="jo@example.com", medium="slack")
    assert jo.is_verified and jo.slack_user_id == FakeSlack().user_id("jo@example.com")  # whom the fake DMs
    plan = page_plan(user=jo.user, queue_id=Queue.objects.get(slug="payments").pk, band="urgent")
    assert plan.steps == [(timedelta(0), "slack"), (timedelta(minutes=2), "sms"), (timedelta(minutes=5), "voice")]
    assert plan.rules_from.startswith("Jo")  # their own: they tighten the team's default


@pytest.mark.django_db
def test_seed_with_a_real_slack_adds_no_slack_channel(settings):
    from paging.models import ContactMethod

    settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL = "xoxb-real", "https://slack.com/api/"
    call_command("seed_demo", "--sandbox", stdout=StringIO())
    assert not Channel.objects.filter(kind=Channel.Kind.SLACK).exists()
    assert not ContactMethod.objects.filter(medium="slack").exists()  # nobody's real Slack is guessed
