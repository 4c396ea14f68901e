from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.access_cache import access_stamp_renew, forget_now_and_after_commit
from accounts.signals import members_changed

from .models import Queue, QueueMember, Severity
from .reference import reference_forget


@receiver([post_save, post_delete], sender=Severity, dispatch_uid="tickets.severity_changed")
@receiver([post_save, post_delete], sender=Queue, dispatch_uid="tickets.queue_changed")
def reference_changed(sender, **kwargs) -> None:
    forget_now_and_after_commit(reference_forget)


@receiver([post_save, post_delete], sender=QueueMember, dispatch_uid="tickets.membership_changed")
def membership_changed(sender, instance, **kwargs) -> None:
    access_stamp_renew([instance.user_id])


m2m_changed.connect(members_changed, sender=QueueMember, dispatch_uid="tickets.membership_m2m")
