"""Who is on call now and next, per queue and layer: the shape `GET /api/oncall/` answers (times ISO 8601, UTC)."""

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.api.serializers import PersonSerializer

from ..selectors import layer_now


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


@extend_schema_field(OpenApiTypes.DATETIME)
class UtcInstant(serializers.CharField):
    """An instant as ISO 8601 in UTC (`Z`), whatever the server's zone."""


class StretchSerializer(serializers.Serializer):
    person = PersonSerializer(allow_null=True, help_text="Null: nobody.")
    starts_at = UtcInstant(help_text="ISO 8601, UTC; for `now`, the time of the request.")
    ends_at = UtcInstant(allow_null=True, help_text="ISO 8601, UTC; null: no change in six weeks.")
    override = serializers.BooleanField(help_text="Someone covering (an override or an accepted swap).")


class LayerSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 is the primary.")
    name = serializers.CharField()
    now = StretchSerializer()
    next = StretchSerializer(allow_null=True)


class QueueOnCallSerializer(serializers.Serializer):
    queue = serializers.CharField(source="slug")
    name = serializers.CharField()
    layers = serializers.SerializerMethodField()

    @extend_schema_field(LayerSerializer(many=True))
    def get_layers(self, queue) -> list[dict[str, Any]]:
        schedule = getattr(queue, "oncall_schedule", None)
        if schedule is None:
            return []
        rows: list[dict[str, Any]] = []
        for layer in schedule.layers.all():
            item = layer_now(layer, now=self.context["now"])
            current, nxt = item.current, item.next
            rows.append(
                LayerSerializer(
                    {
                        "position": layer.position,
                        "name": layer.name,
                        "now": _stretch(current.person, current.starts_at, item.until, current.override),
                        "next": _stretch(nxt.person, nxt.starts_at, nxt.ends_at, nxt.override) if nxt else None,
                    }
                ).data
            )
        return rows


def _stretch(person, starts_at: datetime, ends_at: datetime | None, override: bool) -> dict:
    return {"person": person, "starts_at": _utc(starts_at), "ends_at": _utc(ends_at), "override": override}
