"""The metrics endpoint of `python -m impl.serve`: every worker's metrics, served by the server process.

Each start gets a fresh directory for prometheus-client's multiprocess files
(`PROMETHEUS_MULTIPROC_DIR`, set here before any worker starts, removed when the server stops), so
counts never carry over from an earlier run. The server process serves `/metrics` on its own
address (METRICS_ADDRESS, loopback by default), apart from the API's port, and on each scrape adds
up the workers' files, forgets the gauges of workers that died (their counters stay counted), and
adds each live process's CPU, memory and file descriptors, labelled by pid.

Imports prometheus-client only once the directory is set: it picks its storage at import.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
logger = logging.getLogger(__name__)


class MetricsAddressUnusable(RuntimeError):
    """METRICS_ADDRESS cannot be served (in use, not local, or the API's own port)."""


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _writer_pids(directory: str) -> set[int]:
    # Files are named <type>_<pid>.db or gauge_<mode>_<pid>.db.
    pids = set()
    for path in glob.glob(os.path.join(directory, "*.db")):
        pid = os.path.basename(path)[: -len(".db")].rpartition("_")[2]
        if pid.isdigit():
            pids.add(int(pid))
    return pids


class InstanceCollector:
    """Every worker's metrics and every live process's resource use, for one scrape."""

    def __init__(self, directory: str) -> None:
        self._directory = directory

    def collect(self) -> Iterable[Metric]:
        from prometheus_client import multiprocess

        pids = _writer_pids(self._directory)
        live = {pid for pid in pids if _is_alive(pid)}
        for pid in pids - live:
            multiprocess.mark_process_dead(pid, self._directory)  # type: ignore[no-untyped-call]
        workers = multiprocess.MultiProcessCollector(None, self._directory)  # type: ignore[no-untyped-call]
        yield from workers.collect()  # type: ignore[no-untyped-call]
        yield from _process_metrics(sorted(live | {os.getpid()}))


def _process_metrics(pids: list[int]) -> Iterable[Metric]:
    from prometheus_client import ProcessCollector
    from prometheus_client.metrics_core import Metric

    merged: dict[str, Metric] = {}
    for pid in pids:
        for family in ProcessCollector(pid=functools.partial(int, pid), registry=None).collect():
            target = merged.setdefault(family.name, Metric(family.name, family.documentation, family.type))
            for sample in family.samples:
                target.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
    return merged.values()


@contextmanager
def serving_metrics(endpoint: tuple[str, int] | None, api_port: int) -> Iterator[None]:
    """While the server runs: the multiprocess directory and the endpoint; nothing when None."""
    if endpoint is None:
        yield
        return
    host, port = endpoint
    if port == api_port:
        raise MetricsAddressUnusable(
            f"METRICS_ADDRESS uses port {port}, the API's own port: metrics must be served apart"
        )
    directory = tempfile.mkdtemp(prefix="todo-metrics-")
    os.environ[MULTIPROCESS_DIR_VARIABLE] = directory
    try:
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry(auto_describe=False)
        registry.register(InstanceCollector(directory))
        try:
            server, thread = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            raise MetricsAddressUnusable(
                f"METRICS_ADDRESS {host}:{port} cannot be served ({exc.strerror}); choose another "
                "address, or leave it empty to serve no metrics"
            ) from None
        logger.info("metrics served on http://%s:%d/metrics", host, port)
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    finally:
        os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)
