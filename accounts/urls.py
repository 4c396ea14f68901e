from django.urls import path

from . import views

urlpatterns = [
    path("", views.profile, name="profile"),
    path("time-zone/", views.profile_time_zone, name="profile-time-zone"),
]
