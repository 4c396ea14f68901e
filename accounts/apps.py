from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and roles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import roles, signals  # noqa: F401

        # Groups need the permissions that post_migrate creates, so they are synced after it.
        post_migrate.connect(roles.roles_sync_after_migrate, dispatch_uid="accounts.roles_sync")
