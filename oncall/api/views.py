"""`GET /api/oncall/`: who is on call now and next, per queue and layer, for scripts and status pages (staff)."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from rest_framework import generics
from rest_framework.permissions import BasePermission

from accounts.roles import Role, user_role
from tickets.models import Queue

from ..models import Schedule
from ..selectors import schedules_with_layers
from .serializers import QueueOnCallSerializer


class IsStaff(BasePermission):
    message = "On-call is for agents, managers and admins."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and user_role(request.user) != Role.REQUESTER)


class OnCallView(generics.ListAPIView):
    """Every queue (paginated, by name) with each layer's person now and the next change: a constant number of
    queries per page."""

    serializer_class = QueueOnCallSerializer
    permission_classes = [IsStaff]

    def keyset_ordering(self) -> list[str]:
        return ["name", "id"]

    def get_queryset(self) -> QuerySet[Queue]:
        self.now = timezone.now()
        schedules = schedules_with_layers(Schedule.objects.all(), since=self.now)
        return Queue.objects.prefetch_related(Prefetch("oncall_schedule", queryset=schedules))

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": getattr(self, "now", None) or timezone.now()}
