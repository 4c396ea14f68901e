"""The scrape itself, for the web's `/metrics` and each worker's port: one process's metrics, or in multiprocess
mode (PROMETHEUS_MULTIPROC_DIR: gunicorn's workers, a Celery worker's pool) every process's, summed from the
files they write there."""

import os
from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Each(Collector):
    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def scrape(*extra: Collector) -> bytes:
    """The exposition text: the processes' metrics, then ``extra`` (read now, in this process: collectors cannot
    run in multiprocess mode, so they are added to the scrape, never registered)."""
    registry = CollectorRegistry(auto_describe=False)
    if directory := multiprocess_dir():
        MultiProcessCollector(registry, path=directory)
        registry.register(_Each(extra))
    else:
        registry.register(_Each([REGISTRY, *extra]))
    return generate_latest(registry)


def stale_files_removed(*, keep_pid: int) -> None:
    """Before a process group starts (gunicorn's master, a Celery worker's main process): the previous run's files
    would be summed into this run's. The caller's own files, if it made any yet, stay."""
    if directory := multiprocess_dir():
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db") and not name.endswith(f"_{keep_pid}.db"):
                os.unlink(os.path.join(directory, name))
