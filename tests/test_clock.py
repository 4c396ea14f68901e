"""supportdesk.clock: the replay clock the demo history runs on (a command must not need time-machine)."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from django.db import models
from django.utils import timezone

from supportdesk.clock import replayed_clock

PAST = datetime(2025, 3, 30, 0, 59, 30, tzinfo=UTC)


def test_inside_the_block_djangos_clock_and_every_default_read_the_replays_moment():
    created = models.DateTimeField(default=timezone.now)  # holds the function: patching timezone.now would miss it
    with replayed_clock(PAST) as clock:
        assert timezone.now() == PAST
        assert created.get_default() == PAST
        clock.move_to(PAST + timedelta(hours=2))
        assert timezone.now() == PAST + timedelta(hours=2)
        assert timezone.localdate() == timezone.localtime(PAST + timedelta(hours=2)).date()
        assert type(timezone.now()) is datetime and timezone.is_aware(timezone.now())
        assert timezone.template_localtime(PAST) == timezone.localtime(PAST)  # isinstance checks still hold
    assert timezone.now() - datetime.now(UTC) < timedelta(minutes=1)  # the real clock again


def test_the_demo_history_command_imports_no_test_tool():
    blocked = "import sys; sys.modules['time_machine'] = None; import django; django.setup(); "
    command = "import demo.management.commands.seed_demo_history"
    env = {"DJANGO_SETTINGS_MODULE": "supportdesk.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", blocked + command], capture_output=True, text=True, env={**os.environ, **env}
    )
    assert done.returncode == 0, done.stderr
