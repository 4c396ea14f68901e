from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket-list"),
    path("tickets/export.csv", views.ticket_export, name="ticket-export"),
    path("tickets/new/", views.ticket_create, name="ticket-create"),
    path("tickets/<str:reference>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<str:reference>/comment/", views.ticket_comment, name="ticket-comment"),
    path("tickets/<str:reference>/transition/", views.ticket_transition, name="ticket-transition"),
    path("tickets/<str:reference>/edit/", views.ticket_edit, name="ticket-edit"),
    path("tickets/<str:reference>/assign/", views.ticket_assign, name="ticket-assign"),
    path("tickets/<str:reference>/take/", views.ticket_take, name="ticket-take"),
    path("tickets/<str:reference>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    path("tickets/<str:reference>/watch/", views.ticket_watch, name="ticket-watch"),
    path("tickets/<str:reference>/files/<int:attachment_id>/", views.attachment_download, name="attachment-download"),
]
