from django.urls import path

from . import views
from .cases import views as case_views
from .maintenance import views as maintenance_views
from .push import views as push_views

urlpatterns = [
    path("aws/accounts/", views.account_list, name="aws-account-list"),
    path("aws/accounts/<int:account_id>/", views.account_detail, name="aws-account-detail"),
    path("aws/accounts/<int:account_id>/check/", views.account_check, name="aws-account-check"),
    path("aws/tickets/<str:reference>/", views.ticket_aws_panel, name="aws-ticket-panel"),
    path("aws/tickets/<str:reference>/case/", case_views.support_case_form, name="aws-ticket-case"),
    path("aws/sns/", push_views.sns_push, name="aws-sns-push"),
    path("maintenance/", maintenance_views.window_list, name="maintenance-list"),
    path("maintenance/upcoming/", maintenance_views.window_upcoming, name="maintenance-upcoming"),
    path("maintenance/new/", maintenance_views.window_create, name="maintenance-create"),
    path("maintenance/<int:window_id>/edit/", maintenance_views.window_edit, name="maintenance-edit"),
    path("maintenance/<int:window_id>/delete/", maintenance_views.window_delete, name="maintenance-delete"),
]
