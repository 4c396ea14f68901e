"""Writes of maintenance windows entered by hand; those from AWS Health are read-only here."""

from django.db import transaction

from accounts.types import Actor
from supportdesk.errors import DomainError

from .models import MaintenanceWindow


class HealthWindowReadOnly(DomainError):
    pass


def _refuse_health(window: MaintenanceWindow) -> None:
    if window.is_from_health:
        raise HealthWindowReadOnly("This window comes from AWS Health: it changes only when AWS changes it.")


@transaction.atomic
def maintenance_window_create(*, actor: Actor, **fields) -> MaintenanceWindow:
    """A window entered by hand; ``fields`` are the form's (title, account, service, region, …)."""
    window = MaintenanceWindow(created_by=actor, **fields)
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def maintenance_window_update(*, window: MaintenanceWindow, **fields) -> MaintenanceWindow:
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    _refuse_health(window)
    for name, value in fields.items():
        setattr(window, name, value)
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def maintenance_window_delete(*, window: MaintenanceWindow) -> None:
    _refuse_health(window)
    MaintenanceWindow.objects.filter(pk=window.pk).delete()
