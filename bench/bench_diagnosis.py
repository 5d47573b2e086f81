"""Benchmark of the selfie diagnosis through real Celery worker processes. Prints:

1. Upload-to-result wall time, median of 10 after a warm-up: from the upload's bytes to the row
   seen `done` by the web side (clean and store the selfie, commit, send, worker pick-up,
   analysis with k=10 heatmap, save, and a 10 ms poll), with
   - the embedded default: SQLite, the filesystem broker, a worker subprocess (as `make run`);
   - PostgreSQL + Redis + a separate worker, production settings.
2. The worker's memory: RSS of the pool process after each of 50 diagnoses (PostgreSQL + Redis);
   the 1st, 10th and 50th, and the slope over the 10th..50th (target: no growth, <= 16 KiB per
   diagnosis, i.e. under about 0.6 MiB over those 40).
3. Diagnoses per minute, bursts of uploads sent at once, through one worker process and
   through two (--concurrency 2, the cores split between them; and two that each run a torch
   thread per core, as before the split), on this machine's cores; the configurations take
   turns, round after round, so that load from other processes hits them alike.

Each configuration runs in a child process with its own settings (Django reads them once), in
a throwaway folder (VAR_DIR) and, for PostgreSQL, a throwaway database: nothing lands in var/.
Not a test: figures are printed, a missed target is marked MISS.

Run: .venv/bin/python bench/bench_diagnosis.py [--runs 10] [--rss-tasks 50] [--burst 16]
[--rounds 3] [--json OUT]; ``--smoke``: the embedded default only, one upload after the warm-up.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from tests.support.worker import (  # noqa: E402
    CeleryWorker,
    database_url,
    rss_kib,
    sending_to,
    unique_queue,
)

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
RSS_SLOPE_TARGET_KIB = 16.0
POLL_S = 0.01


# --- the child: one configuration, with Django set up from its environment ---------------------
class Scenario:
    def __init__(self, folder: Path) -> None:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skinshop.settings")
        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.settings = settings
        self.folder = folder
        self.selfies = _selfies(12)
        self.workers = 0

    def worker(self, concurrency: int = 1, queue: str = "", **env: str) -> CeleryWorker:
        self.workers += 1
        return CeleryWorker(
            queue=queue or self.settings.DIAGNOSIS_QUEUE,
            broker_url=self.settings.CELERY_BROKER_URL,
            database_url=database_url(self.settings.DATABASES["default"]),
            private_root=Path(self.settings.STORAGES["private"]["OPTIONS"]["location"]),
            log_path=self.folder / f"worker-{self.workers}.log",
            concurrency=concurrency,
            env={"DJANGO_ENV": self.settings.DJANGO_ENV, **env},
        )

    def upload(self, index: int):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from diagnosis import services
        from diagnosis.uploads import clean_selfie

        data = self.selfies[index % len(self.selfies)]
        upload = SimpleUploadedFile("selfie.jpg", data, "image/jpeg")
        # A check of one front photo, as most shoppers send.
        return services.create_diagnosis(
            photos={"front": clean_selfie(upload)}, guest_token="bench"
        )

    def wait(self, worker: CeleryWorker, pks: list, timeout: float = 300) -> list:
        from diagnosis.models import Diagnosis

        finished = Diagnosis.objects.filter(
            pk__in=pks, status__in=[Diagnosis.Status.DONE, Diagnosis.Status.FAILED]
        )

        worker.wait_until(
            lambda: finished.count() == len(pks),
            timeout=timeout,
            what=f"{len(pks)} diagnoses",
            poll=POLL_S,
        )
        rows = list(Diagnosis.objects.filter(pk__in=pks))
        failed = [r for r in rows if r.status != Diagnosis.Status.DONE]
        if failed:
            raise RuntimeError(f"{len(failed)} diagnoses failed: {failed[0].failure_reason}")
        return rows

    def one(self, worker: CeleryWorker, index: int) -> dict:
        started = time.perf_counter()
        diagnosis = self.upload(index)
        [row] = self.wait(worker, [diagnosis.pk])
        wall = time.perf_counter() - started
        return {
            "wall": wall,
            "queue_wait": (row.started_at - row.created_at).total_seconds(),
            "analysis": row.timings["total"],
            "in_worker": (row.finished_at - row.started_at).total_seconds(),
        }

    def latency(self, worker: CeleryWorker, runs: int) -> dict:
        self.one(worker, 0)  # warm-up: the first task pays for lazy set-up
        samples = [self.one(worker, i) for i in range(1, runs + 1)]
        walls = [s["wall"] for s in samples]
        return {
            "runs": runs,
            "median": statistics.median(walls),
            "min": min(walls),
            "max": max(walls),
            "queue_wait": statistics.median(s["queue_wait"] for s in samples),
            "analysis": statistics.median(s["analysis"] for s in samples),
            "in_worker": statistics.median(s["in_worker"] for s in samples),
        }

    def memory(self, worker: CeleryWorker, tasks: int) -> dict:
        rss, pids = [], set()
        for i in range(tasks):
            self.one(worker, i)
            [pid] = worker.pool_pids()
            pids.add(pid)
            rss.append(rss_kib(pid))
        return {"rss_kib": rss, "pool_pids": len(pids)}

    def throughput(self, workers: dict[str, CeleryWorker], burst: int, rounds: int) -> dict:
        """Bursts through each worker in turn, round after round, so that load from other
        processes on the machine hits every configuration alike; medians per configuration."""
        from skinshop.celery import app

        def burst_through(worker: CeleryWorker, count: int) -> float:
            with sending_to(app, broker_url=worker.broker_url, queue=worker.queue):
                started = time.perf_counter()
                self.wait(worker, [self.upload(i).pk for i in range(count)])
                return time.perf_counter() - started

        for worker in workers.values():
            burst_through(worker, worker.concurrency)  # a first task for every pool process
        seconds: dict[str, list[float]] = {name: [] for name in workers}
        for _ in range(rounds):
            for name, worker in workers.items():
                seconds[name].append(burst_through(worker, burst))
        return {
            name: {
                "burst": burst,
                "seconds": statistics.median(values),
                "per_minute": burst * 60 / statistics.median(values),
                "runs_per_minute": [round(burst * 60 / v, 1) for v in values],
            }
            for name, values in seconds.items()
        }


def _selfies(count: int) -> list[bytes]:
    import numpy as np

    from modelbuilding.synth import render_selfie

    out = []
    for seed in range(count):
        sample = render_selfie(np.random.default_rng(900 + seed), seed % 6, size=512)
        buffer = io.BytesIO()
        sample.image.save(buffer, format="JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def run_child(name: str, folder: Path, args: argparse.Namespace) -> dict:
    scenario = Scenario(folder)
    result: dict = {}
    with scenario.worker() as worker:
        print(f"  [{name}] worker up; {args.runs} uploads one at a time", flush=True)
        result["latency"] = scenario.latency(worker, args.runs)
        if name != "redis":
            return result
        print(f"  [{name}] {args.rss_tasks} diagnoses, RSS after each", flush=True)
        result["memory"] = scenario.memory(worker, args.rss_tasks)
        two = scenario.worker(concurrency=2, queue=unique_queue("bench-diagnosis"))
        # What the worker did before it split the cores between its pool processes.
        cores = str(len(os.sched_getaffinity(0)))
        oversubscribed = scenario.worker(
            concurrency=2, queue=unique_queue("bench-diagnosis"), OMP_NUM_THREADS=cores
        )
        with two, oversubscribed:
            print(
                f"  [{name}] {args.rounds} rounds of bursts of {args.burst} through 1 and 2 "
                "worker processes",
                flush=True,
            )
            result["throughput"] = scenario.throughput(
                {
                    "1 worker process": worker,
                    "2 worker processes": two,
                    f"2 worker processes, {cores} torch threads each": oversubscribed,
                },
                args.burst,
                args.rounds,
            )
    return result


# --- the parent: services, throwaway folders and databases, the report ------------------------
def _reachable(kind: str, url: str) -> bool:
    command = [sys.executable, str(ROOT / "scripts" / "ping.py"), kind, url]
    return subprocess.run(command, check=False).returncode == 0


def _child(name: str, env: dict, folder: Path, args: argparse.Namespace) -> dict:
    out = folder / "result.json"
    command = [sys.executable, __file__, "--child", name, "--folder", str(folder)]
    command += ["--runs", str(args.runs), "--rss-tasks", str(args.rss_tasks)]
    command += ["--burst", str(args.burst), "--rounds", str(args.rounds)]
    subprocess.run(command, env={**os.environ, **env}, cwd=ROOT, check=True)
    return json.loads(out.read_text())


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def _slope(values: list[float]) -> float:
    xs = range(len(values))
    return statistics.linear_regression(xs, values).slope


def _report(results: dict, args: argparse.Namespace) -> None:
    print()
    print(f"Upload-to-result wall time, median of {args.runs} after a warm-up (seconds)")
    print(f"  {'configuration':<52} {'median':>7} {'min':>6} {'max':>6} {'queue':>6} {'model':>6}")
    labels = {
        "embedded": "embedded default: SQLite + filesystem broker + worker",
        "redis": "PostgreSQL + Redis + separate worker (production)",
    }
    for name, label in labels.items():
        if name not in results:
            print(f"  {label:<52} skipped: {results.get(name + '_skipped', 'not run')}")
            continue
        lat = results[name]["latency"]
        print(
            f"  {label:<52} {lat['median']:7.3f} {lat['min']:6.3f} {lat['max']:6.3f} "
            f"{lat['queue_wait']:6.3f} {lat['analysis']:6.3f}"
        )
    print("  (queue: upload committed -> worker claims it; model: the engine's own total)")
    if "redis" not in results:
        return
    redis = results["redis"]
    rss = redis["memory"]["rss_kib"]
    tail = rss[9:]
    slope = _slope(tail) if len(tail) >= 2 else 0.0
    verdict = "ok" if slope <= RSS_SLOPE_TARGET_KIB else "MISS"
    print()
    print(f"Worker pool process RSS over {len(rss)} diagnoses (PostgreSQL + Redis, 1 process)")
    for n in sorted({n for n in (1, 10, len(rss)) if n <= len(rss)}):
        print(f"  after diagnosis {n:>3}: {rss[n - 1] / 1024:8.1f} MiB")
    print(
        f"  between diagnoses 10 and {len(rss)}: {min(tail) / 1024:.1f} to "
        f"{max(tail) / 1024:.1f} MiB"
    )
    print(
        f"  slope over diagnoses 10..{len(rss)}: {slope:+.1f} KiB per diagnosis "
        f"(target <= {RSS_SLOPE_TARGET_KIB:.0f}) {verdict}; pool processes seen: "
        f"{redis['memory']['pool_pids']}"
    )
    print()
    throughput = redis["throughput"]
    print(
        f"Diagnoses per minute, bursts of {args.burst} sent at once, median of {args.rounds} "
        "rounds (PostgreSQL + Redis)"
    )
    one = next(iter(throughput.values()))["per_minute"]
    for label, row in throughput.items():
        ratio = row["per_minute"] / one
        print(
            f"  {label:<40} {row['per_minute']:6.1f} /min (x{ratio:.2f} of one process; "
            f"rounds: {', '.join(map(str, row['runs_per_minute']))})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rss-tasks", type=int, default=50)
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    smoke.add_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
    if args.child:
        folder = Path(args.folder)
        result = run_child(args.child, folder, args)
        (folder / "result.json").write_text(json.dumps(result))
        return 0

    cores = len(os.sched_getaffinity(0))
    print(f"{cores} CPU cores; load average at start {os.getloadavg()[0]:.2f}")
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-diagnosis-") as tmp:
        folder = Path(tmp) / "embedded"
        env = {
            "DJANGO_ENV": "local",
            "VAR_DIR": str(folder),
            "CELERY_BROKER_URL": "filesystem://",
            "DIAGNOSIS_QUEUE": unique_queue("bench-diagnosis"),
        }
        os.environ.pop("DATABASE_URL", None)  # the default: a SQLite file under VAR_DIR
        folder.mkdir()
        results["embedded"] = _child("embedded", env, folder, args)

        if args.smoke:  # a worker per configuration and three for the bursts: too slow
            results["redis_skipped"] = "smoke mode runs the embedded default only"
        elif not _reachable("postgres", PG_ADMIN_URL):
            results["redis_skipped"] = f"PostgreSQL not reachable at {PG_ADMIN_URL}"
        elif not _reachable("redis", REDIS_URL):
            results["redis_skipped"] = f"Redis not reachable at {REDIS_URL}"
        else:
            folder = Path(tmp) / "redis"
            folder.mkdir()
            name = f"bench_diagnosis_{os.getpid()}"
            _pg(f'CREATE DATABASE "{name}"')
            try:
                env = {
                    "DJANGO_ENV": "production",
                    "SECRET_KEY": "bench-only-not-a-secret",
                    "ALLOWED_HOSTS": "127.0.0.1",
                    "SITE_URL": "http://127.0.0.1",
                    "PAYMENT_ALLOW_TEST_GATEWAY": "true",  # a benchmark takes no money
                    "CACHE_URL": f"filecache://{folder / 'cache'}",  # production needs one
                    "VAR_DIR": str(folder),
                    "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
                    "CELERY_BROKER_URL": REDIS_URL,
                    "DIAGNOSIS_QUEUE": unique_queue("bench-diagnosis"),
                }
                results["redis"] = _child("redis", env, folder, args)
            finally:
                _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _report(results, args)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
