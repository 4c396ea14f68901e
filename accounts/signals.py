from allauth.account.signals import user_logged_in
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from .access_cache import access_stamp_renew, person_forget
from .mfa import IDP_MFA_SESSION_KEY
from .roles import Role

User = get_user_model()


def _related_pks(through, instance, model) -> set:
    """The pks of `model` linked to `instance` by `through` (what a clear() is about to unlink)."""
    source = next(f.name for f in through._meta.concrete_fields if f.related_model is type(instance))
    target = next(f.attname for f in through._meta.concrete_fields if f.related_model is model)
    return set(through.objects.filter(**{source: instance}).values_list(target, flat=True))


def members_changed(sender, instance, action, model, pk_set, **kwargs) -> None:
    """A link to people (groups, permissions, queues) was added or removed: their access facts are stale."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if isinstance(instance, User):
        access_stamp_renew([instance.pk])
        return
    if action == "pre_clear":
        pk_set = _related_pks(sender, instance, model)
    if model is User:
        access_stamp_renew(pk_set)
    else:  # a group's permissions: everyone in the group
        group_ids = [instance.pk] if isinstance(instance, Group) else pk_set
        access_stamp_renew(User.objects.filter(groups__in=group_ids).values_list("pk", flat=True))


for _through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(members_changed, sender=_through, dispatch_uid=f"accounts.members_changed.{_through.__name__}")


@receiver([post_save, post_delete], sender=User, dispatch_uid="accounts.person_changed")
def person_changed(sender, instance, **kwargs) -> None:
    person_forget([instance.pk])  # its save renewed the stamp too (User.save)


@receiver(pre_delete, sender=Group, dispatch_uid="accounts.group_deleted")
def group_deleted(sender, instance, **kwargs) -> None:
    access_stamp_renew(instance.user_set.values_list("pk", flat=True))


@receiver([post_save, post_delete], sender=Authenticator, dispatch_uid="accounts.authenticator_changed")
def authenticator_changed(sender, instance, **kwargs) -> None:
    access_stamp_renew([instance.user_id])  # REQUIRE_MFA reads enrolment from the access facts


@receiver(post_save, sender=User, dispatch_uid="accounts.new_user_is_requester")
def new_user_is_requester(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Everyone who can sign in can at least file a request."""
    if created and not raw and not instance.is_superuser:
        group = Group.objects.filter(name=Role.REQUESTER).first()
        if group is not None:
            instance.groups.add(group)


@receiver(user_logged_in, dispatch_uid="accounts.idp_mfa_recorded")
def idp_mfa_recorded(sender, request, user, sociallogin=None, **kwargs) -> None:
    """Whether this sign-in used an identity provider's MFA the admin trusts (the adapter read it before the
    sign-in; it rides in the login's state through allauth's stages): REQUIRE_MFA counts it for this session."""
    request.session[IDP_MFA_SESSION_KEY] = bool(sociallogin and sociallogin.state.get("idp_mfa"))
