from django.urls import path

from . import views

# The request URLs of the Slack app (docs/slack-app-manifest.yaml): Interactivity, and the slash command's
urlpatterns = [
    path("interactivity/", views.interactivity, name="slack-interactivity"),
    path("commands/", views.command, name="slack-command"),
]
