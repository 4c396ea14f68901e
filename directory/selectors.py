import hashlib

from django.db.models import Prefetch, QuerySet

from accounts.models import User

from .models import DirectoryGroup, DirectoryUser, ScimToken


def scim_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def scim_token_for(key: str) -> ScimToken | None:
    """The token a SCIM client presents, if it is one (looked up by hash: keys are 256 random bits)."""
    return ScimToken.objects.filter(key_hash=scim_key_hash(key)).first() if key else None


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
