import hashlib
from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import DirectoryGroup, DirectoryUser, ScimToken

_LAST_USED_EVERY = timedelta(hours=1)  # not a write per request


def scim_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def scim_token_for(key: str) -> ScimToken | None:
    """The token a SCIM client presents, if it is one (a constant-time lookup by hash: keys are 256 random bits)."""
    token = ScimToken.objects.filter(key_hash=scim_key_hash(key)).first() if key else None
    if token is not None and (token.last_used_at is None or token.last_used_at < timezone.now() - _LAST_USED_EVERY):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def directory_users() -> QuerySet[DirectoryUser]:
    """SCIM Users, each with their groups: two queries whatever the page."""
    groups = Prefetch("user__directory_groups", queryset=DirectoryGroup.objects.only("pk", "display_name"))
    return DirectoryUser.objects.select_related("user").prefetch_related(groups).order_by("pk")


def directory_groups(*, with_members: bool = True) -> QuerySet[DirectoryGroup]:
    """SCIM Groups, with their members unless the client excludes them (Entra asks so for big groups)."""
    groups = DirectoryGroup.objects.order_by("pk")
    if with_members:
        members = User.objects.filter(directory_identity__isnull=False).only("pk", "email").order_by("pk")
        groups = groups.prefetch_related(Prefetch("members", queryset=members))
    return groups
