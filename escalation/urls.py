from django.urls import path

from . import views

urlpatterns = [path("oncall/", views.oncall, name="oncall")]
