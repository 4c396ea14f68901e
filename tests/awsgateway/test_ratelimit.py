"""AWS rate limits shared by every worker: a token bucket in Redis, bounded waits, and a per-process fallback."""

import os
import subprocess
import sys
import time
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from moto import mock_aws

from awsgateway import ratelimit
from awsgateway.clients import AccountAccess, client_for
from awsgateway.errors import AwsThrottled
from tests.fault.processes import free_port

REDIS_URL = os.environ["REDIS_URL"]  # this run's own Redis database


@pytest.fixture
def limits(settings):
    settings.AWS_RATE_LIMIT = "5/5"
    settings.AWS_RATE_LIMITS = {}
    settings.AWS_RATE_LIMIT_WAIT_SECONDS = 20.0
    settings.AWS_RATE_LIMIT_REDIS_URL = REDIS_URL
    ratelimit._buckets = ratelimit._Buckets()  # nothing left from another test's Redis or buckets
    yield settings
    ratelimit._buckets = ratelimit._Buckets()


def _caller() -> str:
    return f"test-{uuid.uuid4().hex}"  # a bucket of the test's own


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "per-process"])
def test_a_bucket_gives_its_burst_then_refills_at_its_rate(limits, shared):
    if not shared:
        limits.AWS_RATE_LIMIT_REDIS_URL = None
    take = ratelimit._buckets.take
    rate, key = ratelimit.Rate(per_second=2, burst=3), _caller()
    with time_machine.travel(1_000_000, tick=False) as clock:
        now = time.time
        assert [take(key, rate, now()) for _ in range(3)] == [0, 0, 0]  # the burst
        assert take(key, rate, now()) == pytest.approx(0.5)  # empty: the next token in half a second
        clock.shift(0.25)
        assert take(key, rate, now()) == pytest.approx(0.25)  # waiting takes nothing
        clock.shift(0.25)
        assert take(key, rate, now()) == 0
        clock.shift(60)
        assert [take(key, rate, now()) for _ in range(4)][-2:] == [0, pytest.approx(0.5)]  # refilled to the burst


def test_rates_come_from_settings_by_operation_then_service_then_default(limits):
    limits.AWS_RATE_LIMIT = "10/20"
    limits.AWS_RATE_LIMITS = {"support": "4/8", "health.DescribeEvents": "1", "sns": "off"}

    assert ratelimit.rate_for("support", "DescribeCases") == ratelimit.Rate(4, 8)
    assert ratelimit.rate_for("health", "DescribeEvents") == ratelimit.Rate(1, 1)
    assert ratelimit.rate_for("health", "DescribeEventDetails") == ratelimit.Rate(10, 20)
    assert ratelimit.rate_for("sns", "Publish") is None


@pytest.mark.parametrize("text", ["fast", "0/5", "-1/5", "5/0", "5/x", "nan/3", "inf"])
def test_a_malformed_rate_is_refused_with_what_was_expected(limits, text):
    limits.AWS_RATE_LIMITS = {"support": text}
    with pytest.raises(ImproperlyConfigured, match="such as 10/20"):
        ratelimit.rate_for("support", "DescribeCases")


def test_notices_and_pages_are_not_held_back_by_default():
    assert ratelimit.rate_for("sns", "Publish") is None
    assert ratelimit.rate_for("pinpoint-sms-voice-v2", "SendTextMessage") is None


_TAKER = """
import sys, time
import django
django.setup()
from django.conf import settings
from awsgateway import ratelimit
settings.AWS_RATE_LIMIT, settings.AWS_RATE_LIMITS, settings.AWS_RATE_LIMIT_REDIS_URL = "5/5", {}, sys.argv[1]
print("ready", flush=True)
sys.stdin.readline()  # both start together
began = time.time()
for _ in range(15):
    ratelimit.acquire(caller=sys.argv[2], region="us-east-1", service="support", operation="DescribeCases")
print(began, time.time())
"""


def test_two_processes_share_one_bucket(limits):
    # given: a limit of 5 calls a second, burst 5; two workers each wanting 15 calls to one account's operation
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test"}
    args = [sys.executable, "-c", _TAKER, REDIS_URL, _caller()]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    workers = [subprocess.Popen(args, env=env, cwd=django_settings.BASE_DIR, **pipes) for _ in "ab"]
    assert [w.stdout.readline() for w in workers] == ["ready\n"] * 2
    # when: both take tokens at once
    for w in workers:
        w.stdin.write("go\n")
        w.stdin.flush()
    times = [[float(t) for t in w.communicate(timeout=60)[0].split()] for w in workers]
    # then: 30 calls at 5 a second after a burst of 5 take 5 s in all, not the 2 s each would take alone
    assert all(w.returncode == 0 for w in workers)
    began, ended = min(t[0] for t in times), max(t[1] for t in times)
    assert max(t[0] for t in times) - began < 1, "the two did not run side by side"
    assert 4.5 <= ended - began < 7


def test_a_call_that_cannot_get_a_token_in_time_is_throttled_not_held(limits):
    limits.AWS_RATE_LIMIT, limits.AWS_RATE_LIMIT_WAIT_SECONDS = "0.1/1", 0.5
    caller = _caller()
    ratelimit.acquire(caller=caller, region="us-east-1", service="support", operation="DescribeCases")

    started = time.monotonic()
    with pytest.raises(AwsThrottled, match="will retry"):
        ratelimit.acquire(caller=caller, region="us-east-1", service="support", operation="DescribeCases")
    assert time.monotonic() - started < 0.1  # the next token is 10 s away: no point waiting half a second


def test_with_redis_down_each_process_limits_on_its_own_at_once(limits, caplog):
    limits.AWS_RATE_LIMIT = "5/2"
    limits.AWS_RATE_LIMIT_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens
    caller = _caller()
    started = time.monotonic()
    for _ in range(4):  # a burst of 2, then two more at 5 a second
        ratelimit.acquire(caller=caller, region="us-east-1", service="health", operation="DescribeEvents")
    took = time.monotonic() - started

    assert 0.35 <= took < 1.5  # limited, without hanging on the dead Redis
    assert "Redis unavailable" in caplog.text and "per process" in caplog.text


@mock_aws
def test_every_request_a_gateway_client_sends_takes_a_token_of_its_account_and_operation(limits):
    limits.AWS_RATE_LIMIT, limits.AWS_RATE_LIMIT_WAIT_SECONDS = "0.01/2", 0
    limits.AWS_RATE_LIMITS = {"sts.AssumeRole": "off"}  # our own account's bucket: other tests use it too
    role = f"arn:aws:iam::{uuid.uuid4().int % 10**12:012d}:role/supportdesk"
    sts = client_for(AccountAccess(account_id=role.split(":")[4], role_arn=role), "sts")

    sts.get_caller_identity()
    sts.get_caller_identity()  # the burst of 2, for this account's GetCallerIdentity
    with pytest.raises(AwsThrottled):
        sts.get_caller_identity()
    other = f"arn:aws:iam::{uuid.uuid4().int % 10**12:012d}:role/supportdesk"
    client_for(AccountAccess(account_id=other.split(":")[4], role_arn=other), "sts").get_caller_identity()
