from django.urls import path

from . import views

urlpatterns = [path("", views.OnCallView.as_view(), name="oncall")]
