"""The text a Prometheus scrape gets: this process's instruments — or, under several workers,
every worker's, summed from the multiprocess directory — then the database's figures."""

import os
import tempfile

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import Metric

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def render(figures: list[Metric]) -> bytes:
    return generate_latest(_counted()) + generate_latest(_Fixed(figures))


def _counted() -> CollectorRegistry:
    if not os.environ.get(MULTIPROCESS_DIR):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _Fixed:
    """Already-read metric families, in the shape ``generate_latest`` reads."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families


def forget_this_process() -> None:
    """A stopping worker's open-websocket count leaves the sum (its counters stay: they are totals)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(os.getpid())


def prepare_for_workers() -> str:
    """For several workers (``callfunnel serve``, before they start): the multiprocess directory —
    ``PROMETHEUS_MULTIPROC_DIR``, or a new temporary one — emptied of an earlier run's files and
    set in the environment the workers inherit."""
    path = os.environ.get(MULTIPROCESS_DIR) or tempfile.mkdtemp(prefix="callfunnel-metrics-")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
    os.environ[MULTIPROCESS_DIR] = path
    return path
