"""Prometheus metrics summed over every API server process.

Each granian worker is its own process with its own counters, so ``/metrics``
would show whichever worker answered. In prometheus_client's multiprocess
mode every process writes its values to files in one folder, named by
``PROMETHEUS_MULTIPROC_DIR``, and ``/metrics`` (Litestar's controller) adds
them up. The variable must be set before the workers start (they import
prometheus_client with it), and the folder must start empty: a previous run's
files would be counted again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics() -> Iterator[Path]:
    """Around the serving process's run, before it starts its workers.

    If the operator named a folder (a container's tmpfs or a Kubernetes
    emptyDir), it is emptied of earlier runs' values and kept; otherwise a
    fresh folder is made for this run and removed after it.
    """
    given = os.environ.get(FOLDER_VARIABLE)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="coalition-metrics-"))
    os.environ[FOLDER_VARIABLE] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop(FOLDER_VARIABLE, None)
        shutil.rmtree(folder, ignore_errors=True)


def process_exited(pid: int | None = None) -> None:
    """A server process's last act: its live gauges (requests in progress) stop
    counting; its counters stay in the sums, as Prometheus expects of counters."""
    if os.environ.get(FOLDER_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid if pid is not None else os.getpid())  # type: ignore[no-untyped-call]
