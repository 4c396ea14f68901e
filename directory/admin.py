"""The mapping of IdP groups to roles and queues is edited here; what SCIM made, and every change the directory
made to someone, is shown read-only; SCIM tokens are made here, their key shown once."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from . import services
from .models import DirectoryChange, DirectoryGroup, DirectoryUser, IdentityGroupMapping, ScimToken


@admin.register(IdentityGroupMapping)
class IdentityGroupMappingAdmin(admin.ModelAdmin):
    """A change holds for each person at their next sign-in, or at once with their next SCIM change."""

    list_display = ["idp_group", "provider", "role", "queue_names", "enabled"]
    list_filter = ["enabled", "role", "provider"]
    search_fields = ["idp_group"]
    filter_horizontal = ["queues"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("queues")

    @admin.display(description="Queues")
    def queue_names(self, obj: IdentityGroupMapping) -> str:
        return ", ".join(q.name for q in obj.queues.all())


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DirectoryChange)
class DirectoryChangeAdmin(_ReadOnly):
    list_display = ["at", "user", "source", "granted", "revoked", "note"]
    list_select_related = ["user"]
    list_filter = ["source"]
    search_fields = ["user__email"]
    date_hierarchy = "at"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the record of who was given what


@admin.register(DirectoryUser)
class DirectoryUserAdmin(_ReadOnly):
    """People SCIM provisions; deleting a row here only unlinks them (their IdP would provision them again)."""

    list_display = ["user_name", "user", "external_id", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user_name", "user__email", "external_id"]


@admin.register(DirectoryGroup)
class DirectoryGroupAdmin(_ReadOnly):
    list_display = ["display_name", "external_id", "updated_at"]
    search_fields = ["display_name", "external_id"]


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """Delete a token to revoke it: the IdP is refused at its next request."""

    list_display = ["name", "provider", "key_prefix", "created_at", "last_used_at"]
    fields = ["name", "provider"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method == "POST":
            form = self.get_form(request)(request.POST)
            if form.is_valid():
                token, key = services.scim_token_create(**form.cleaned_data)
                self.log_addition(request, token, [{"added": {}}])
                # shown once, in this response: never stored, nor put in a message or a redirect
                context = {
                    **self.admin_site.each_context(request),
                    "token": token,
                    "key": key,
                    "base_url": request.build_absolute_uri("/scim/v2"),
                    "list_url": reverse("admin:directory_scimtoken_changelist"),
                }
                return TemplateResponse(request, "admin/directory/scimtoken/created.html", context)
        return super().add_view(request, form_url, extra_context)
