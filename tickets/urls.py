"""Tickets, mounted at tickets/ by supportdesk/urls.py; home_urlpatterns is the home page, at the site's root."""

from django.urls import path

from . import views

home_urlpatterns = [path("", views.home, name="home")]

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("export.csv", views.ticket_export, name="ticket-export"),
    path("new/", views.ticket_create, name="ticket-create"),
    # before <reference>/, which would take these names for references
    path("bulk/", views.ticket_bulk, name="ticket-bulk"),
    path("bulk/people/", views.ticket_bulk_people, name="ticket-bulk-people"),
    path("views/", views.saved_view_list, name="saved-view-list"),
    path("views/<int:view_id>/", views.saved_view_edit, name="saved-view-edit"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path("replies/", views.canned_reply_list, name="canned-reply-list"),
    path("replies/<int:reply_id>/", views.canned_reply_edit, name="canned-reply-edit"),
    path("replies/<int:reply_id>/delete/", views.canned_reply_delete, name="canned-reply-delete"),
    path("<str:reference>/", views.ticket_detail, name="ticket-detail"),
    path("<str:reference>/comment/", views.ticket_comment, name="ticket-comment"),
    path("<str:reference>/transition/", views.ticket_transition, name="ticket-transition"),
    path("<str:reference>/edit/", views.ticket_edit, name="ticket-edit"),
    path("<str:reference>/assign/", views.ticket_assign, name="ticket-assign"),
    path("<str:reference>/take/", views.ticket_take, name="ticket-take"),
    path("<str:reference>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    path("<str:reference>/watch/", views.ticket_watch, name="ticket-watch"),
    path("<str:reference>/inline/<str:field>/", views.ticket_inline, name="ticket-inline"),
    path("<str:reference>/replies/", views.ticket_replies, name="ticket-replies"),
    path("<str:reference>/replies/<int:reply_id>/", views.ticket_reply_text, name="ticket-reply-text"),
    path("<str:reference>/files/<int:attachment_id>/", views.attachment_download, name="attachment-download"),
]
