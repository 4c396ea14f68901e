"""The maintenance calendar, mounted at maintenance/ by supportdesk/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.window_list, name="maintenance-list"),
    path("upcoming/", views.window_upcoming, name="maintenance-upcoming"),
    path("new/", views.window_create, name="maintenance-create"),
    path("<int:window_id>/edit/", views.window_edit, name="maintenance-edit"),
    path("<int:window_id>/delete/", views.window_delete, name="maintenance-delete"),
]
