from django.urls import path

from . import views

urlpatterns = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/new/", views.review_create, name="review-create"),
    path("reviews/<int:review_id>/", views.review_detail, name="review-detail"),
    path("reviews/<int:review_id>/summary/", views.review_summary, name="review-summary"),
    path("reviews/<int:review_id>/answers/<int:answer_id>/", views.answer_save, name="review-answer"),
    path("reviews/<int:review_id>/actions/", views.action_add, name="review-action-add"),
    path("reviews/<int:review_id>/submit/", views.review_submit, name="review-submit"),
    path("reviews/<int:review_id>/take/", views.review_take, name="review-take"),
    path("readiness/panel/", views.readiness_panel, name="readiness-panel"),
]
