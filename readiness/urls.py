"""Readiness reviews, mounted at reviews/ by supportdesk/urls.py; panel_urlpatterns at readiness/ (the manager
dashboard's panel)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.review_list, name="review-list"),
    path("new/", views.review_create, name="review-create"),
    path("<int:review_id>/", views.review_detail, name="review-detail"),
    path("<int:review_id>/summary/", views.review_summary, name="review-summary"),
    path("<int:review_id>/answers/<int:answer_id>/", views.answer_save, name="review-answer"),
    path("<int:review_id>/actions/", views.action_add, name="review-action-add"),
    path("<int:review_id>/submit/", views.review_submit, name="review-submit"),
    path("<int:review_id>/take/", views.review_take, name="review-take"),
]

panel_urlpatterns = [path("panel/", views.readiness_panel, name="readiness-panel")]
