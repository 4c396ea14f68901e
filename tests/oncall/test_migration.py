"""The old escalation rotations move to oncall and back: the data migration run by Django's executor on the test
database, forwards and backwards (a transactional test: the migrations run their own transactions)."""

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ..factories import QueueFactory, UserFactory

BEFORE = [("oncall", "0001_schedules_layers_overrides_swaps"), ("escalation", "0004_sla_pause_and_update_cadence")]
AFTER = [("oncall", "0002_rotations_from_escalation"), ("escalation", "0005_oncall_layers_repeats_rotations_moved")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the seeded rows come back after
def test_a_rotation_becomes_a_weekly_primary_layer_and_comes_back():
    old = _migrate(BEFORE)
    try:
        # people and queues as they are today: only oncall and escalation step back
        user, queue = UserFactory(), QueueFactory()
        rotation = old.get_model("escalation", "OnCallRotation").objects.create(
            queue_id=queue.pk, time_zone="America/New_York", handoff_weekday=2, handoff_time=time(10, 30),
            start_date=date(2026, 3, 4),
        )  # fmt: skip
        old.get_model("escalation", "OnCallMember").objects.create(rotation_id=rotation.pk, user_id=user.pk, position=0)
        old.get_model("escalation", "OnCallOverride").objects.create(
            rotation_id=rotation.pk, user_id=user.pk, starts_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
            ends_at=datetime(2026, 3, 5, 12, tzinfo=UTC), reason="dentist",
        )  # fmt: skip

        new = _migrate(AFTER)
        layer = new.get_model("oncall", "Layer").objects.get(schedule__queue_id=queue.pk)
        assert (layer.position, layer.name, layer.shift, layer.time_zone) == (
            1,
            "Primary",
            "weekly",
            "America/New_York",
        )
        assert (layer.handoff_weekday, layer.handoff_time, layer.start_date) == (2, time(10, 30), date(2026, 3, 4))
        assert [m.user_id for m in layer.members.all()] == [user.pk]
        assert [o.reason for o in layer.overrides.all()] == ["dentist"]

        back = _migrate(BEFORE)
        again = back.get_model("escalation", "OnCallRotation").objects.get(queue_id=queue.pk)
        assert (again.time_zone, again.start_date) == ("America/New_York", date(2026, 3, 4))
        assert back.get_model("escalation", "OnCallOverride").objects.get().reason == "dentist"
        assert not back.get_model("oncall", "Schedule").objects.exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # every app at its latest, as the other tests expect
