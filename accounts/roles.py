"""The four roles, as Django groups with permissions. Admins assign them in the Django admin."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


# app_label.codename; the admin role gets every permission there is.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.REQUESTER: [],
    Role.AGENT: [
        "tickets.work_ticket",
        "tickets.view_internal_notes",
        "integrations.view_awsaccount",
        "integrations.view_maintenancewindow",
    ],
    Role.MANAGER: [
        "tickets.view_all_tickets",
        "tickets.view_internal_notes",
        "tickets.view_dashboards",
        "tickets.add_cannedreply",
        "tickets.change_cannedreply",
        "tickets.delete_cannedreply",
        "readiness.manage_review",
        "oncall.manage_schedule",
        "integrations.view_awsaccount",
        "integrations.view_maintenancewindow",
        "integrations.add_maintenancewindow",
        "integrations.change_maintenancewindow",
        "integrations.delete_maintenancewindow",
    ],
}


def roles_sync_after_migrate(sender, **kwargs) -> None:
    # Each app's permissions appear in its own post_migrate, sent for every app with models in turn: the groups
    # follow the last one, when they are all there (once, not once per app: it runs on each migrate and test flush).
    if sender is [config for config in apps.get_app_configs() if config.models_module is not None][-1]:
        roles_sync()


@transaction.atomic
def roles_sync() -> None:
    """Create or repair the role groups; safe to run any number of times."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role == Role.ADMIN:
            group.permissions.set(Permission.objects.all())
            continue
        wanted = Permission.objects.none()
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".")
            wanted |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        group.permissions.set(wanted)


@transaction.atomic
def user_set_role(*, user, role: Role) -> None:
    """One role per person, with exactly that role's powers: admins reach the Django admin and hold every
    permission (as the seeded admin does); any other role takes both away."""
    user.groups.set([Group.objects.get(name=role.value)])
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])


def user_role(user) -> str:
    """The role a page is laid out for, read from permissions (cached per request, no extra query)."""
    if not user.is_authenticated:
        return ""
    if user.is_superuser or user.is_staff:
        return Role.ADMIN
    if user.has_perm("tickets.view_all_tickets"):
        return Role.MANAGER
    if user.has_perm("tickets.work_ticket"):
        return Role.AGENT
    return Role.REQUESTER
