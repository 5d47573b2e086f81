"""A real Celery worker in a subprocess (prefork pool, never eager mode), for tests and benchmarks.

``CeleryWorker`` runs ``celery -A skinshop worker -Q <queue> --pool prefork`` against the
database, broker and private media folder it is given, waits for its "ready" line, keeps its log
in a file and always stops it (a SIGKILL of its whole process group as the last resort).
``sending_to`` points this process's Celery app at the worker's broker and queue, so that
``services.create_diagnosis`` and ``services.sweep`` reach it.

A queue of its own per worker (``unique_queue``) keeps test runs that share one Redis from
taking each other's tasks. Nothing here imports Django or pytest: the benchmarks use it too. The
pytest fixtures built on it are ``celery_worker_process`` and ``celery_worker`` in
tests/conftest.py.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
ANALYZE_TASK = "diagnosis.tasks.analyze_diagnosis"
READY = re.compile(r" \S+@\S+ ready\.$", re.MULTILINE)


class WorkerError(RuntimeError):
    """The worker did not start, or did not do what was waited for; the message has its log."""


def unique_queue(prefix: str = "diagnosis-test") -> str:
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def database_url(db: Mapping) -> str:
    """The DATABASE_URL of a Django DATABASES entry, for a process that must use the same one
    (e.g. the test database pytest-django created)."""
    engine = db["ENGINE"]
    name = str(db["NAME"])
    if engine == "django.db.backends.postgresql":
        auth = quote(db.get("USER") or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth + '@' if auth else ''}{host}{port}/{quote(name, safe='')}"
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or "mode=memory" in name or name.startswith("file:memorydb"):
            raise ValueError("an in-memory SQLite database cannot be shared with another process")
        return f"sqlite:///{name}"
    raise ValueError(f"no DATABASE_URL form for {engine}")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc): a prefork worker's pool processes."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except OSError:  # the thread ended while we looked
            pass
    return sorted(found)


def blocked_opening_a_pipe(pid: int) -> bool:
    """Whether a process waits in open() of a named pipe that no one has opened for writing
    yet (Linux: the kernel function it sleeps in)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().strip() == "wait_for_partner"
    except OSError:  # the process is gone
        return False


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise WorkerError(f"process {pid} reports no VmRSS")


@dataclass
class CeleryWorker:
    """One ``celery worker`` process. Use as a context manager, or ``start()`` and ``stop()``."""

    queue: str
    broker_url: str
    database_url: str
    private_root: Path
    log_path: Path
    concurrency: int = 1
    # More environment for the worker, over the defaults (DJANGO_ENV=test); e.g. DJANGO_ENV,
    # OMP_NUM_THREADS, or VAR_DIR for the filesystem broker's folders.
    env: Mapping[str, str] = field(default_factory=dict)
    # When set, the worker runs Celery beat too (`-B`, as `make run` does), keeping its
    # schedule in this file.
    beat_schedule: Path | None = None
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _log_offset: int = field(default=0, init=False, repr=False)

    def command(self) -> list[str]:
        return [
            str(CELERY),
            "-A",
            "skinshop",
            "worker",
            "-Q",
            self.queue,
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "-l",
            "info",
            "-n",
            f"{self.queue}@%h",
            # Other workers on a shared Redis are none of this one's business: no start-up
            # sync, no gossip, no heartbeats (also a faster start).
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ] + (["-B", "--schedule", str(self.beat_schedule)] if self.beat_schedule else [])

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "skinshop.settings",
            "CELERY_BROKER_URL": self.broker_url,
            "DATABASE_URL": self.database_url,
            # Read at settings import: the routes the worker itself sends with (retries).
            "DIAGNOSIS_QUEUE": self.queue,
            "PRIVATE_MEDIA_ROOT": str(self.private_root),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }

    # --- life cycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 90) -> CeleryWorker:
        if self.process is not None:
            raise WorkerError("this worker was already started")
        self.private_root.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: teardown can kill the pool processes with it.
                start_new_session=True,
            )
        try:
            self.wait_until(self._ready, timeout=timeout, what="the worker to be ready")
        except BaseException:
            self.kill()
            forget_queue(self.broker_url, self.queue)
            raise
        return self

    def _ready(self) -> bool:
        return bool(READY.search(self.log())) and len(self.pool_pids()) >= self.concurrency

    def stop(self, timeout: float = 30) -> None:
        """Warm shutdown (SIGTERM: the running task finishes), then SIGKILL whatever is left,
        and the queue's keys leave the broker."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        forget_queue(self.broker_url, self.queue)

    def kill(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:  # the group is gone already
            pass
        self.process.wait()

    def __enter__(self) -> CeleryWorker:
        return self if self.process is not None else self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- looking at it ------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        if self.process is None:
            raise WorkerError("the worker is not started")
        return self.process.pid

    def pool_pids(self) -> list[int]:
        return child_pids(self.pid)

    def log(self) -> str:
        """What this worker logged since it started."""
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(self._log_offset)
                return handle.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_until(
        self,
        condition: Callable[[], object],
        *,
        timeout: float = 60,
        what: str = "a condition",
        poll: float = 0.05,
    ) -> object:
        """Polls ``condition`` until it returns something true, which is returned. Raises
        WorkerError with the worker's log when the worker dies or the time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if self.process is not None and self.process.poll() is not None:
                raise WorkerError(
                    f"the worker exited (code {self.process.returncode}) while waiting for "
                    f"{what}; log {self.log_path}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise WorkerError(
                    f"waited {timeout:.0f} s for {what}; worker log {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(poll)


# --- the sending side -------------------------------------------------------------------------
def _point(app, *, broker_url: str, transport_options: dict, routes: dict) -> None:
    from kombu import pools

    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = transport_options
    app.conf.task_routes = routes
    # Connections and producers are pooled per broker, and the router keeps the routing table
    # it was built with: drop them all so the next send uses the new settings.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.amqp.flush_routes()
    try:
        del app.amqp.router
    except AttributeError:  # not built yet
        pass


@contextmanager
def sending_to(
    app, *, broker_url: str, queue: str, transport_options: dict | None = None
) -> Iterator[None]:
    """Within the block this process sends the analysis task to ``queue`` on ``broker_url``
    (with ``transport_options``: e.g. the filesystem broker's folders).

    Settings build CELERY_TASK_ROUTES from DIAGNOSIS_QUEUE when they are imported, before a
    test can choose a queue; this changes the Celery app itself and puts it back afterwards.
    """
    conf = app.conf
    saved = {
        "broker_url": conf.broker_url,
        "transport_options": dict(conf.broker_transport_options or {}),
        "routes": conf.task_routes,
    }
    _point(
        app,
        broker_url=broker_url,
        transport_options=transport_options or {},
        routes={ANALYZE_TASK: {"queue": queue}},
    )
    try:
        yield
    finally:
        _point(app, **saved)


def forget_queue(broker_url: str, queue: str) -> None:
    """Removes a Redis queue's keys (its messages and binding) once its worker is gone."""
    if not broker_url.startswith("redis"):
        return
    import redis

    try:
        client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"{queue}*")) + [f"_kombu.binding.{queue}"]
        client.delete(*keys)
    except redis.RedisError:  # tidying up only: a Redis that went away keeps nothing anyway
        pass
