"""The AWS pages, mounted at aws/ by supportdesk/urls.py; the maintenance calendar has its own (maintenance/urls.py)."""

from django.urls import path

from . import views
from .cases import views as case_views
from .push import views as push_views

urlpatterns = [
    path("accounts/", views.account_list, name="aws-account-list"),
    path("accounts/<int:account_id>/", views.account_detail, name="aws-account-detail"),
    path("accounts/<int:account_id>/check/", views.account_check, name="aws-account-check"),
    path("tickets/<str:reference>/", views.ticket_aws_panel, name="aws-ticket-panel"),
    path("tickets/<str:reference>/case/", case_views.support_case_form, name="aws-ticket-case"),
    path("tickets/<str:reference>/accept-risk/", views.ticket_accept_risk, name="aws-ticket-accept-risk"),
    path("sns/", push_views.sns_push, name="aws-sns-push"),
]
