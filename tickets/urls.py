"""Tickets, mounted at tickets/ by supportdesk/urls.py; home_urlpatterns is the home page, at the site's root."""

from django.urls import path

from . import views

home_urlpatterns = [path("", views.home, name="home")]

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("export.csv", views.ticket_export, name="ticket-export"),
    path("new/", views.ticket_create, name="ticket-create"),
    path("<str:reference>/", views.ticket_detail, name="ticket-detail"),
    path("<str:reference>/comment/", views.ticket_comment, name="ticket-comment"),
    path("<str:reference>/transition/", views.ticket_transition, name="ticket-transition"),
    path("<str:reference>/edit/", views.ticket_edit, name="ticket-edit"),
    path("<str:reference>/assign/", views.ticket_assign, name="ticket-assign"),
    path("<str:reference>/take/", views.ticket_take, name="ticket-take"),
    path("<str:reference>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    path("<str:reference>/watch/", views.ticket_watch, name="ticket-watch"),
    path("<str:reference>/files/<int:attachment_id>/", views.attachment_download, name="attachment-download"),
]
