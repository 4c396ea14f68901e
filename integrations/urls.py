from django.urls import path

from . import case_views, push_views, views

urlpatterns = [
    path("aws/accounts/", views.account_list, name="aws-account-list"),
    path("aws/accounts/<int:account_id>/", views.account_detail, name="aws-account-detail"),
    path("aws/accounts/<int:account_id>/check/", views.account_check, name="aws-account-check"),
    path("aws/tickets/<str:reference>/", views.ticket_aws_panel, name="aws-ticket-panel"),
    path("aws/tickets/<str:reference>/case/", case_views.support_case_form, name="aws-ticket-case"),
    path("aws/sns/", push_views.sns_push, name="aws-sns-push"),
]
