"""Load on the shop's busiest pages: gunicorn with production settings on PostgreSQL, driven on
loopback by wrk. Prints requests/s, p50 and p99 per endpoint, and each against GET /healthz
served by the same server in the same run (the framework's floor: Django answering with no
database query and no template).

    .venv/bin/python bench/bench_load.py [--duration 5] [--rounds 2] [--connections 16] ...
    .venv/bin/python bench/bench_load.py --smoke    # the same code path, tiny, in seconds

What it does: (re)creates the database ``bench_skinshop`` on the local PostgreSQL (or
``--database-url``), migrates it, seeds the demo catalog, collects the static files, starts a
Redis of its own (the shared cache production requires; a folder cache without redis-server)
and two gunicorn servers on free loopback ports: one as production runs (the storefront's
shared cache warm) and one with ``CATALOG_CACHE_SECONDS=0`` (every storefront request misses
it: cold). It fills one anonymous cart and uploads one selfie through the API (with the CSRF
token, as a browser's script does), then runs wrk on every endpoint in turn, round after round
(load from other processes then hits all of them alike), and drops the database again. Needs
PostgreSQL and wrk (scripts/bench.sh installs Debian's wrk); without them it prints SKIP, or
fails under CI=true. ``--smoke`` runs a few endpoints for a second each on one worker per
server, in a database of its own, on SQLite when PostgreSQL does not answer.
"""

import argparse
import io
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_skinshop"


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # formatted with the fixtures that setup() finds, e.g. {slug}
    with_cart: bool = False  # send the session cookie of the cart (and selfie) setup() made
    shows: str = ""  # what the answer must contain (formatted with the fixtures), checked once
    cold: bool = False  # served by the server whose storefront cache never keeps anything
    # A poll that sends back the ETag of the answer it holds (formatted with the fixtures).
    if_none_match: str = ""
    smoke: bool = False  # among the few endpoints of --smoke

    @property
    def status(self) -> int:
        return 304 if self.if_none_match else 200


# The endpoints, in the order they run. FLOOR first: every other figure is read against it.
FLOOR = Endpoint("health check (floor)", "/healthz", smoke=True)
STATUS_API = "/api/v1/diagnoses/{diagnosis_id}/"
STATUS_PAGE = "/diagnosis/{diagnosis_id}/status/"
ENDPOINTS = [
    FLOOR,
    Endpoint("product list page", "/", shows="{name}", smoke=True),
    Endpoint("product list page, cold", "/", shows="{name}", cold=True, smoke=True),
    Endpoint("product detail page", "/products/{slug}/", shows="{name}"),
    Endpoint("product detail, cold", "/products/{slug}/", shows="{name}", cold=True),
    Endpoint("product list API", "/api/v1/products/", shows="{slug}"),
    Endpoint("product list API, cold", "/api/v1/products/", shows="{slug}", cold=True),
    Endpoint("cart page (2 lines)", "/cart/", with_cart=True, shows="{slug}"),
    Endpoint("cart API (2 lines)", "/api/v1/cart/", with_cart=True, shows="{slug}"),
    # What a result page's poll costs while the selfie waits for a worker (none runs here):
    # the full answer, and the answer to a poll that holds it already (304).
    Endpoint("status API, full", STATUS_API, with_cart=True, shows='"status":"queued"'),
    Endpoint(
        "status API, poll (304)",
        STATUS_API,
        with_cart=True,
        if_none_match="{api_etag}",
        smoke=True,
    ),
    Endpoint("result page poll (304)", STATUS_PAGE, with_cart=True, if_none_match="{page_etag}"),
]

# wrk reports through Lua: one JSON line, latencies in microseconds.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Figures:
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, report: dict) -> None:
        self.requests += report["requests"]
        self.seconds += report["duration_us"] / 1e6
        self.errors += sum(report[k] for k in ("connect", "read", "write", "status", "timeout"))
        self.p50_ms.append(report["p50_us"] / 1000)
        self.p99_ms.append(report["p99_us"] / 1000)


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        sys.exit(f"FAIL: {reason} (required under CI=true)")
    print(f"SKIP: {reason}")
    sys.exit(0)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Requests with the cookies the server set (session, CSRF token), sending the CSRF token
    with unsafe requests as the shop's own scripts do."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in sorted(self.cookies.items()))

    def request(
        self,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "",
        headers: dict | None = None,
    ) -> tuple[int, dict, bytes]:
        method = "POST" if body else "GET"
        request = urllib.request.Request(self.base + path, data=body, method=method)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if body:
            request.add_header("Content-Type", content_type)
            if "csrftoken" in self.cookies:
                request.add_header("X-CSRFToken", self.cookies["csrftoken"])
        if self.cookies:
            request.add_header("Cookie", self.cookie)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer_headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, content = error.code, error.headers, error.read()
        for header in answer_headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return status, answer_headers, content

    def post_json(self, path: str, data: dict) -> tuple[int, dict, bytes]:
        return self.request(path, body=json.dumps(data).encode(), content_type="application/json")


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if Browser(base).request(FLOOR.path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {FLOOR.path} within 60 s:\n{log.read_text()[-3000:]}")


def setup(base: str) -> tuple[dict, str]:
    """The values the endpoints' paths need, and the cookie of a cart with two lines and a
    pending skin check."""
    status, _, body = Browser(base).request("/api/v1/products/")
    products = json.loads(body)["results"] if status == 200 else []
    in_stock = [p for p in products if p["available"] >= 2]
    if len(in_stock) < 2:
        sys.exit(f"setup: expected seeded products in stock, got {status} {body[:200]!r}")
    browser = Browser(base)
    status, _, body = browser.request("/api/v1/auth/csrf/")
    if status != 200 or "csrftoken" not in browser.cookies:
        sys.exit(f"setup: no CSRF token from /api/v1/auth/csrf/: {status} {body[:200]!r}")
    for product in in_stock[:2]:
        status, _, body = browser.post_json(
            "/api/v1/cart/lines/", {"product_id": product["id"], "quantity": 1}
        )
        if status != 201:
            sys.exit(f"setup: adding to the cart gave {status} {body[:200]!r}")
    if "sessionid" not in browser.cookies:
        sys.exit("setup: the cart API set no session cookie")
    status, _, body = upload_selfie(browser)
    if status != 201:
        sys.exit(f"setup: uploading a selfie gave {status} {body[:200]!r}")
    diagnosis_id = json.loads(body)["id"]
    fixtures = {"slug": in_stock[0]["slug"], "name": in_stock[0]["name"]}
    fixtures["diagnosis_id"] = diagnosis_id
    for key, path in (("api_etag", STATUS_API), ("page_etag", STATUS_PAGE)):
        status, headers, body = browser.request(
            path.format(diagnosis_id=diagnosis_id), headers={"Accept": "application/json"}
        )
        if status != 200 or not headers.get("ETag"):
            sys.exit(f"setup: GET {path} gave {status} without an ETag: {body[:200]!r}")
        fixtures[key] = headers["ETag"]
    return fixtures, f"sessionid={browser.cookies['sessionid']}"


def upload_selfie(browser: Browser) -> tuple[int, dict, bytes]:
    """POST a plain 512 px JPEG as the multipart upload a browser sends (the worker, absent
    here, would find no face; the upload itself is all that is needed)."""
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (512, 512), (205, 160, 140)).save(picture, format="JPEG")
    boundary = secrets.token_hex(16)
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="consent"\r\n\r\ntrue\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="selfie.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode(),
            picture.getvalue(),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return browser.request(
        "/api/v1/diagnoses/", body=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@dataclass(frozen=True)
class Target:
    """An endpoint as it is asked for: its server, path and headers."""

    base: str
    path: str
    headers: dict

    @property
    def url(self) -> str:
        return self.base + self.path


def target(endpoint: Endpoint, bases: dict[bool, str], cookie: str, fixtures: dict) -> Target:
    headers = {"Cookie": cookie} if endpoint.with_cart else {}
    if endpoint.if_none_match:  # as the result page polls
        headers["Accept"] = "application/json"
        headers["If-None-Match"] = endpoint.if_none_match.format(**fixtures)
    return Target(bases[endpoint.cold], endpoint.path.format(**fixtures), headers)


def check(endpoint: Endpoint, where: Target, fixtures: dict) -> None:
    """Each endpoint answers as it should, with real content, before it is measured."""
    status, _, body = Browser(where.base).request(where.path, headers=where.headers)
    if status != endpoint.status:
        sys.exit(f"{endpoint.name}: GET {where.path} gave {status} {body[:300]!r}")
    expected = endpoint.shows.format(**fixtures)
    if expected and expected.encode() not in body:
        sys.exit(f"{endpoint.name}: GET {where.path} does not show {expected!r}")


def wrk(where: Target, *, seconds: float, options: argparse.Namespace, script: Path) -> dict:
    command = [
        "wrk",
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for name, value in where.headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(command + [where.url], capture_output=True, text=True, check=True)
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line.removeprefix("WRKJSON "))
    sys.exit(f"wrk gave no report:\n{result.stdout}\n{result.stderr}")


def main() -> None:
    options = parse_options()
    if not shutil.which("wrk"):
        skip_or_fail("wrk is not installed (scripts/bench.sh installs it)")
    database = prepare_database(options)
    endpoints = [e for e in ENDPOINTS if e.smoke] if options.smoke else ENDPOINTS

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    processes: list[subprocess.Popen] = []
    try:
        started = time.monotonic()
        env = server_env(options, workdir, database, processes)
        prepare_site(env, options)
        bases = {}
        for cold in (False, True):
            port = free_port()
            log = workdir / f"gunicorn-{port}.log"
            server_env_of = cold_env(env, workdir) if cold else env
            processes.append(start_server(server_env_of, port, options, log))
            bases[cold] = f"http://127.0.0.1:{port}"
            wait_until_up(bases[cold], processes[-1], log)
        fixtures, cookie = setup(bases[False])
        targets = {e: target(e, bases, cookie, fixtures) for e in endpoints}
        for endpoint, where in targets.items():
            check(endpoint, where, fixtures)
        print(
            f"set-up {time.monotonic() - started:.0f} s: {database_kind(database)}, seeded "
            f"demo catalog, {env['CACHE_URL'].split(':')[0]} cache, two gunicorn servers "
            f"(warm, cold) of {options.workers} {options.worker_class} worker(s) "
            f"(threads {options.threads_per_worker}); wrk -t{options.threads} "
            f"-c{options.connections}, {options.rounds} round(s) × {options.duration:g} s per "
            f"endpoint after a {options.warmup:g} s warm-up; {os.cpu_count()} CPU cores "
            f"shared with wrk; load average {os.getloadavg()[0]:.1f}"
        )
        figures = measure(targets, options, workdir)
    finally:
        stop(processes, database)

    print_table(figures)
    shutil.rmtree(workdir, ignore_errors=True)
    failed = [endpoint.name for endpoint, f in figures.items() if f.errors or not f.requests]
    if failed:
        sys.exit(f"FAIL: errors or unexpected answers under load: {', '.join(failed)}")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per endpoint a round")
    parser.add_argument("--rounds", type=int, default=2, help="round-robin rounds")
    parser.add_argument("--warmup", type=float, default=1, help="seconds per endpoint first")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads-per-worker", type=int, default=1, help="for gthread")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the database to (re)create; dropped afterwards",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few endpoints, 1 s each, one worker per server, no warm-up: checks that the "
        "bench runs (a database of its own; SQLite when PostgreSQL does not answer)",
    )
    options = parser.parse_args()
    if options.smoke:
        options.duration, options.rounds, options.warmup = 1, 1, 0
        options.workers, options.threads, options.connections = 1, 1, 2
        options.database_url = with_database(
            options.database_url, f"bench_skinshop_smoke_{os.getpid()}"
        )
    return options


def prepare_database(options: argparse.Namespace) -> str:
    """The database URL to run on, created empty: PostgreSQL, or (``--smoke`` only) a SQLite
    file when PostgreSQL cannot be used."""
    try:
        recreate_database(options.database_url)
    except Exception as error:  # noqa: BLE001 - any failure to reach PostgreSQL
        if options.smoke and os.environ.get("CI") != "true":
            print(f"note: PostgreSQL is not usable ({error}); smoke run on SQLite")
            return "sqlite"
        skip_or_fail(f"PostgreSQL is not usable at {options.database_url}: {error}")
    return options.database_url


def database_kind(database: str) -> str:
    return "SQLite" if database == "sqlite" else "PostgreSQL"


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int] | None:
    """A Redis for this run alone (nothing else's keys, nothing left behind) and its port; None
    without redis-server."""
    if not shutil.which("redis-server"):
        return None
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return redis, port
        except OSError:
            time.sleep(0.05)
    redis.kill()
    return None


def server_env(
    options: argparse.Namespace, workdir: Path, database: str, processes: list
) -> dict[str, str]:
    """The production settings the servers run with, their state kept in ``workdir``."""
    redis = start_redis(workdir)
    if redis is not None:
        processes.append(redis[0])
        # The shared cache production requires, as production runs it.
        cache_url = f"redis://127.0.0.1:{redis[1]}/0"
    else:  # a folder is shared by the gunicorn workers too
        cache_url = f"filecache://{workdir / 'cache'}"
    database_url = f"sqlite:///{workdir / 'db.sqlite3'}" if database == "sqlite" else database
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL": "true",  # a benchmark is no public shop
        "PAYMENT_ALLOW_TEST_GATEWAY": "true",  # a benchmark takes no money
        "CACHE_URL": cache_url,
        "DATABASE_URL": database_url,
        # Plain HTTP on loopback: in production the proxy in front terminates TLS.
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        # The embedded broker's folders and the private selfies stay in the throwaway folder.
        "VAR_DIR": str(workdir / "var"),
        "LOG_LEVEL": "WARNING",
    }


def cold_env(env: dict[str, str], workdir: Path) -> dict[str, str]:
    """The cold server: its storefront entries never kept, in a cache of its own (it would
    otherwise find the warm server's)."""
    if env["CACHE_URL"].startswith("redis://"):
        cache_url = env["CACHE_URL"].removesuffix("/0") + "/1"
    else:
        cache_url = f"filecache://{workdir / 'cache-cold'}"
    return {**env, "CACHE_URL": cache_url, "CATALOG_CACHE_SECONDS": "0"}


# Migrate, seed and collect in one process (one start of Django instead of three). A smoke run
# leaves out the static files no measured page uses (the admin's, the API docs' bundles).
PREPARE = """
import sys
import django
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", verbosity=0)
ignore = sys.argv[1:]
call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=ignore)
"""
SMOKE_STATIC_IGNORED = ["admin", "drf_spectacular_sidecar", "rest_framework"]


def prepare_site(env: dict[str, str], options: argparse.Namespace) -> None:
    ignored = SMOKE_STATIC_IGNORED if options.smoke else []
    subprocess.run(
        [str(PYTHON), "-c", PREPARE, *ignored],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "skinshop.settings"},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_server(
    env: dict[str, str], port: int, options: argparse.Namespace, log: Path
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(GUNICORN),
            "skinshop.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={options.workers}",
            f"--worker-class={options.worker_class}",
            f"--threads={options.threads_per_worker}",
            f"--error-logfile={log}",
        ],
        cwd=ROOT,
        env=env,
    )


def measure(
    targets: dict[Endpoint, Target], options: argparse.Namespace, workdir: Path
) -> dict[Endpoint, Figures]:
    """A warm-up, then the rounds: every endpoint in turn, so load bursts hit them alike."""
    script = workdir / "report.lua"
    script.write_text(WRK_REPORT)
    figures = {endpoint: Figures() for endpoint in targets}
    if options.warmup:  # code paths, connections, caches
        for where in targets.values():
            wrk(where, seconds=options.warmup, options=options, script=script)
    for _ in range(options.rounds):
        for endpoint, where in targets.items():
            report = wrk(where, seconds=options.duration, options=options, script=script)
            figures[endpoint].add(report)
    return figures


def stop(processes: list[subprocess.Popen], database: str) -> None:
    """Stop the servers and Redis, and drop the bench database."""
    for process in reversed(processes):
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    if database == "sqlite":
        return
    try:
        recreate_database(database, drop_only=True)
    except Exception as error:  # noqa: BLE001 - report, the figures still stand
        print(f"note: could not drop the bench database: {error}")


def print_table(figures: dict[Endpoint, Figures]) -> None:
    floor = figures[FLOOR]
    floor_p50 = statistics.median(floor.p50_ms)
    print()
    print(
        f"{'endpoint':<26} {'path':<36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s ÷ floor':>14} {'p50 × floor':>12} {'errors':>7}"
    )
    for endpoint, f in figures.items():
        p50 = statistics.median(f.p50_ms)
        p99 = statistics.median(f.p99_ms)
        print(
            f"{endpoint.name:<26} {endpoint.path:<36} {f.rps:>8.0f} {p50:>8.1f} {p99:>8.1f} "
            f"{f.rps / floor.rps:>14.2f} {p50 / floor_p50:>12.1f} {f.errors:>7}"
        )
    print(
        "\nreq/s over all rounds; p50 and p99 are the medians of the rounds' wrk percentiles. "
        "req/s ÷ floor: the share of the health check's throughput the endpoint keeps. "
        "cold: a server whose storefront cache keeps nothing (CATALOG_CACHE_SECONDS=0); "
        "poll (304): the request sends the ETag of the answer it holds."
    )


if __name__ == "__main__":
    main()
