from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from .models import LoginFailure, User
from .selectors import FAILURES_KEPT, login_hash


@transaction.atomic
def api_token_renew(*, user: User) -> str:
    """Replace the person's API token; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


@transaction.atomic
def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """The zone pages show this person's times in (an IANA name, validated by the form); empty follows the browser."""
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    return user


@transaction.atomic
def login_failure_record(*, ip: str, login: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    LoginFailure.objects.filter(at__lte=now - FAILURES_KEPT).delete()  # only the recent ones count
    LoginFailure.objects.create(ip=ip, login_hash=login_hash(login), at=now)


def sessions_expired_clear() -> None:
    """What `manage.py clearsessions` does, for the session engine in use."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
