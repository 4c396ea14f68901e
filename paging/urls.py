from django.urls import path

from . import views

urlpatterns = [
    path("", views.paging_settings, name="paging"),
    path("numbers/", views.number_set, name="paging-number-set"),
    path("numbers/<str:medium>/verify/", views.number_verify, name="paging-number-verify"),
    path("numbers/<str:medium>/resend/", views.number_resend, name="paging-number-resend"),
    path("numbers/<str:medium>/delete/", views.number_delete, name="paging-number-delete"),
    path("slack/", views.slack_set, name="paging-slack-set"),
    path("rules/", views.rule_add, name="paging-rule-add"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="paging-rule-delete"),
    path("rules/reset/<str:band>/", views.rules_reset, name="paging-rules-reset"),
    path("teams/<slug:slug>/", views.team_defaults, name="paging-team"),
]

# One-tap acknowledge links, kept short for SMS: /p/<reference>/<token>
link_urlpatterns = [path("<str:reference>/<str:token>", views.page_link, name="page-link")]
