from django.urls import include, path

from integrations.cases.api.views import TicketAwsCaseView

app_name = "api"

urlpatterns = [
    path("", include("tickets.api.urls")),
    path("oncall/", include("oncall.api.urls")),
    path("tickets/<str:reference>/aws-case/", TicketAwsCaseView.as_view(), name="ticket-aws-case"),
]
