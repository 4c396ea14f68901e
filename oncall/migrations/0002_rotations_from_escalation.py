"""Each old escalation rotation becomes a schedule with one weekly layer, "Primary": the same zone, hand-off and
start, its members in order and its overrides kept. Reversed, each schedule's first layer becomes a rotation again."""

import secrets

from django.db import migrations


def rotations_to_schedules(apps, schema_editor) -> None:
    Rotation = apps.get_model("escalation", "OnCallRotation")
    Member = apps.get_model("escalation", "OnCallMember")
    Cover = apps.get_model("escalation", "OnCallOverride")
    Schedule = apps.get_model("oncall", "Schedule")
    Layer = apps.get_model("oncall", "Layer")
    LayerMember = apps.get_model("oncall", "LayerMember")
    Override = apps.get_model("oncall", "Override")
    # Foreign keys by id: the historical model classes of a migration run may be rendered more than once
    for rotation in Rotation.objects.order_by("pk"):
        schedule = Schedule.objects.create(queue_id=rotation.queue_id, feed_token=secrets.token_urlsafe(24))
        layer = Layer.objects.create(
            schedule_id=schedule.pk,
            position=1,
            name="Primary",
            time_zone=rotation.time_zone,
            shift="weekly",
            handoff_time=rotation.handoff_time,
            handoff_weekday=rotation.handoff_weekday,
            start_date=rotation.start_date,
        )
        LayerMember.objects.bulk_create(
            LayerMember(layer_id=layer.pk, user_id=m.user_id, position=m.position)
            for m in Member.objects.filter(rotation=rotation).order_by("position")
        )
        Override.objects.bulk_create(
            Override(layer_id=layer.pk, user_id=o.user_id, starts_at=o.starts_at, ends_at=o.ends_at, reason=o.reason)
            for o in Cover.objects.filter(rotation=rotation)
        )


def schedules_to_rotations(apps, schema_editor) -> None:
    Rotation = apps.get_model("escalation", "OnCallRotation")
    Member = apps.get_model("escalation", "OnCallMember")
    Cover = apps.get_model("escalation", "OnCallOverride")
    Layer = apps.get_model("oncall", "Layer")
    for layer in Layer.objects.filter(position=1).select_related("schedule"):
        rotation = Rotation.objects.create(
            queue_id=layer.schedule.queue_id,
            time_zone=layer.time_zone,
            handoff_weekday=layer.handoff_weekday,
            handoff_time=layer.handoff_time,
            start_date=layer.start_date,
        )
        Member.objects.bulk_create(
            Member(rotation_id=rotation.pk, user_id=m.user_id, position=m.position) for m in layer.members.all()
        )
        Cover.objects.bulk_create(
            Cover(rotation_id=rotation.pk, user_id=o.user_id, starts_at=o.starts_at, ends_at=o.ends_at, reason=o.reason)
            for o in layer.overrides.all()
        )
    # Plain DELETEs, children first: the deletion collector trips over historical model classes rendered twice
    for name in ("LayerMember", "Restriction", "Override", "Swap", "Layer", "PersonFeed", "Schedule"):
        schema_editor.execute(f"DELETE FROM {schema_editor.quote_name(apps.get_model('oncall', name)._meta.db_table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0001_schedules_layers_overrides_swaps"),
        ("escalation", "0003_sla_states_for_open_tickets"),
    ]

    operations = [migrations.RunPython(rotations_to_schedules, schedules_to_rotations)]
