from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from .access_cache import access_changed, forget_now_and_after_commit, person_changed
from .backends import TOKEN_KEY
from .roles import Role

User = get_user_model()
for _through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(access_changed, sender=_through, dispatch_uid=f"accounts.access_changed.{_through.__name__}")
post_delete.connect(access_changed, sender=Group, dispatch_uid="accounts.access_changed.group_deleted")
post_save.connect(person_changed, sender=User, dispatch_uid="accounts.person_saved")
post_delete.connect(person_changed, sender=User, dispatch_uid="accounts.person_deleted")


@receiver(post_delete, sender=Token, dispatch_uid="accounts.token_deleted")
def token_deleted(sender, instance, **kwargs) -> None:
    key = TOKEN_KEY.format(instance.key)
    forget_now_and_after_commit(lambda: cache.delete(key))  # a revoked token stops working at once


@receiver(post_save, sender=User, dispatch_uid="accounts.new_user_is_requester")
def new_user_is_requester(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Everyone who can sign in can at least file a request."""
    if created and not raw and not instance.is_superuser:
        group = Group.objects.filter(name=Role.REQUESTER).first()
        if group is not None:
            instance.groups.add(group)
