from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm

from .models import User
from .roles import Role, user_role, user_set_role


class UserForm(forms.ModelForm):
    role = forms.ChoiceField(choices=Role.choices, help_text="Sets the person's group; admins also reach this site.")

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "is_active"]


class UserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserForm
    add_form = UserAddForm
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    fieldsets = [(None, {"fields": ["email", "first_name", "last_name", "role", "is_active"]})]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "role" in form.base_fields:
            form.base_fields["role"].initial = user_role(obj)
        return form

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if "role" in form.cleaned_data:
            user_set_role(user=obj, role=Role(form.cleaned_data["role"]))
