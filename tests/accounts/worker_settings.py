"""Settings of a second portal process in tests (tests/accounts/worker.py): the test settings, with the cache the
test asks for (CACHE_URL) and a key prefix the processes share, as the workers of one deployment do."""

import os

from supportdesk.settings.test import *  # noqa: F403

CACHES["default"]["KEY_PREFIX"] = os.environ["WORKER_KEY_PREFIX"]  # noqa: F405
