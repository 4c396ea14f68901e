from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="oncall"),
    path("mine/", views.mine, name="oncall-mine"),
    path("mine/feed/", views.mine_feed_regenerate, name="oncall-mine-feed"),
    path("feeds/<str:token>.ics", views.feed, name="oncall-feed"),
    path("swaps/<int:swap_id>/<str:decision>/", views.swap_decide, name="oncall-swap-decide"),
    path("<slug:slug>/", views.schedule_detail, name="oncall-schedule"),
    path("<slug:slug>/overrides/", views.override_create, name="oncall-override-create"),
    path("<slug:slug>/overrides/<int:override_id>/delete/", views.override_delete, name="oncall-override-delete"),
    path("<slug:slug>/swaps/", views.swap_propose, name="oncall-swap-propose"),
    path("<slug:slug>/feed/", views.schedule_feed_regenerate, name="oncall-schedule-feed"),
    path("<slug:slug>/layers/new/", views.layer_edit, name="oncall-layer-new"),
    path("<slug:slug>/layers/<int:layer_id>/", views.layer_edit, name="oncall-layer-edit"),
    path("<slug:slug>/layers/<int:layer_id>/delete/", views.layer_delete, name="oncall-layer-delete"),
]
