import hashlib
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import LoginFailure

# Wrong passwords allowed per address and account, and per address over all accounts, as allauth's defaults.
# Never per account alone: a stranger's wrong passwords would then lock the real owner out.
FAILURES_PER_ACCOUNT_AND_IP = (5, timedelta(minutes=5))
FAILURES_PER_IP = (10, timedelta(minutes=1))
FAILURES_KEPT = max(FAILURES_PER_ACCOUNT_AND_IP[1], FAILURES_PER_IP[1])


def login_hash(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


def login_locked(*, ip: str, login: str, now: datetime | None = None) -> bool:
    """Whether sign-ins to `login` from `ip` are refused for now: one query over the recent failures."""
    now = now or timezone.now()
    (pair_max, pair_window), (ip_max, ip_window) = FAILURES_PER_ACCOUNT_AND_IP, FAILURES_PER_IP
    counts = LoginFailure.objects.filter(ip=ip, at__gt=now - FAILURES_KEPT).aggregate(
        pair=Count("pk", filter=Q(login_hash=login_hash(login), at__gt=now - pair_window)),
        ip=Count("pk", filter=Q(at__gt=now - ip_window)),
    )
    return counts["pair"] >= pair_max or counts["ip"] >= ip_max
