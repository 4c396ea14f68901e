from django.apps import AppConfig


class PagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "paging"
