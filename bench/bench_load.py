"""Load on the shop's busiest pages: gunicorn with production settings on PostgreSQL, driven on
loopback by wrk. Prints requests/s, p50 and p99 per endpoint, and each against GET /healthz
served by the same server in the same run (the framework's floor: Django answering with no
database query and no template).

    .venv/bin/python bench/bench_load.py [--duration 5] [--rounds 2] [--connections 16] ...

What it does: (re)creates the database ``bench_skinshop`` on the local PostgreSQL (or
``--database-url``), migrates it, seeds the demo catalog, collects the static files, starts
gunicorn on a free loopback port, fills one anonymous cart through the API, then runs wrk on
every endpoint in turn, round after round (load from other processes then hits all of them
alike), and drops the database again. Needs PostgreSQL and wrk (scripts/bench.sh installs
Debian's wrk); without them it prints SKIP, or fails under CI=true.
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


# The endpoints, in the order they run. FLOOR first: every other figure is read against it.
FLOOR = Endpoint("health check (floor)", "/healthz")
ENDPOINTS = [
    FLOOR,
    Endpoint("product list page", "/"),
    Endpoint("product detail page", "/products/{slug}/"),
    Endpoint("product list API", "/api/v1/products/"),
    Endpoint("cart page (2 lines)", "/cart/", with_cart=True, shows="{slug}"),
    Endpoint("cart API (2 lines)", "/api/v1/cart/", with_cart=True, shows="{slug}"),
    # What a result page's poll costs while the selfie waits for a worker (none runs here).
    Endpoint(
        "diagnosis status API",
        "/api/v1/diagnoses/{diagnosis_id}/",
        with_cart=True,
        shows='"status":"queued"',
    ),
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


def run(args: list[str], env: dict) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def http(url: str, *, data: dict | None = None, cookie: str = "") -> tuple[int, dict, bytes]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    if body:
        request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if http(base + FLOOR.path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer {FLOOR.path} within 60 s:\n{log.read_text()[-3000:]}")


def setup(base: str) -> tuple[dict, str]:
    """The values the endpoints' paths need, and the cookie of a cart with two lines."""
    status, _, body = http(base + "/api/v1/products/")
    products = json.loads(body)["results"] if status == 200 else []
    in_stock = [p for p in products if p["available"] >= 2]
    if len(in_stock) < 2:
        sys.exit(f"setup: expected seeded products in stock, got {status} {body[:200]!r}")
    cookie = ""
    for product in in_stock[:2]:
        status, headers, body = http(
            base + "/api/v1/cart/lines/",
            data={"product_id": product["id"], "quantity": 1},
            cookie=cookie,
        )
        if status != 201:
            sys.exit(f"setup: adding to the cart gave {status} {body[:200]!r}")
        for header in headers.get_all("Set-Cookie") or []:
            morsel = SimpleCookie(header).get("sessionid")
            if morsel is not None:
                cookie = f"sessionid={morsel.value}"
    if not cookie:
        sys.exit("setup: the cart API set no session cookie")
    status, _, body = upload_selfie(base + "/api/v1/diagnoses/", cookie=cookie)
    if status != 201:
        sys.exit(f"setup: uploading a selfie gave {status} {body[:200]!r}")
    return {"slug": in_stock[0]["slug"], "diagnosis_id": json.loads(body)["id"]}, cookie


def upload_selfie(url: str, *, cookie: str) -> tuple[int, dict, bytes]:
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
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def check(base: str, endpoint: Endpoint, path: str, cookie: str, fixtures: dict) -> None:
    """Each endpoint answers 200 with real content before it is measured."""
    status, _, body = http(base + path, cookie=cookie if endpoint.with_cart else "")
    if status != 200:
        sys.exit(f"{endpoint.name}: GET {path} gave {status} {body[:300]!r}")
    expected = endpoint.shows.format(**fixtures)
    if expected and expected.encode() not in body:
        sys.exit(f"{endpoint.name}: GET {path} does not show {expected!r}")


def wrk(url: str, *, seconds: float, options: argparse.Namespace, cookie: str, script: Path):
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
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(command + [url], capture_output=True, text=True, check=True)
    for line in result.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line.removeprefix("WRKJSON "))
    sys.exit(f"wrk gave no report:\n{result.stdout}\n{result.stderr}")


def main() -> None:
    options = parse_options()
    if not shutil.which("wrk"):
        skip_or_fail("wrk is not installed (scripts/bench.sh installs it)")
    try:
        recreate_database(options.database_url)
    except Exception as error:  # noqa: BLE001 - any failure to reach PostgreSQL
        skip_or_fail(f"PostgreSQL is not usable at {options.database_url}: {error}")

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(options, workdir)
    server = None
    log = workdir / "gunicorn.log"
    try:
        started = time.monotonic()
        server = start_server(env, port, options, log)
        wait_until_up(base, server, log)
        fixtures, cookie = setup(base)
        paths = {endpoint: endpoint.path.format(**fixtures) for endpoint in ENDPOINTS}
        for endpoint, path in paths.items():
            check(base, endpoint, path, cookie, fixtures)
        print(
            f"set-up {time.monotonic() - started:.0f} s: PostgreSQL, seeded demo catalog, "
            f"gunicorn {options.workers} {options.worker_class} worker(s) "
            f"(threads {options.threads_per_worker}); wrk -t{options.threads} "
            f"-c{options.connections}, {options.rounds} round(s) × {options.duration:g} s per "
            f"endpoint after a 1 s warm-up; {os.cpu_count()} CPU cores shared with wrk"
        )
        figures = measure(base, paths, cookie, options, workdir)
    finally:
        stop(server, options)

    print_table(figures)
    shutil.rmtree(workdir, ignore_errors=True)
    failed = [endpoint.name for endpoint, f in figures.items() if f.errors or not f.requests]
    if failed:
        sys.exit(f"FAIL: errors or non-2xx answers under load: {', '.join(failed)}")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per endpoint a round")
    parser.add_argument("--rounds", type=int, default=2, help="round-robin rounds")
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
    return parser.parse_args()


def server_env(options: argparse.Namespace, workdir: Path) -> dict[str, str]:
    """The production settings the server runs with, its state kept in ``workdir``."""
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL": "true",  # a benchmark is no public shop
        "PAYMENT_ALLOW_TEST_GATEWAY": "true",  # a benchmark takes no money
        # Production refuses a per-process cache; a folder is shared by the gunicorn workers.
        "CACHE_URL": f"filecache://{workdir / 'cache'}",
        "DATABASE_URL": options.database_url,
        # Plain HTTP on loopback: in production the proxy in front terminates TLS.
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        # The embedded broker's folders and the private selfies stay in the throwaway folder.
        "VAR_DIR": str(workdir / "var"),
        "LOG_LEVEL": "WARNING",
    }


def start_server(
    env: dict[str, str], port: int, options: argparse.Namespace, log: Path
) -> subprocess.Popen:
    """Migrate, seed the demo catalog, collect the static files and start gunicorn."""
    run([str(PYTHON), "manage.py", "migrate", "--noinput"], env)
    run([str(PYTHON), "manage.py", "seed_demo"], env)
    run([str(PYTHON), "manage.py", "collectstatic", "--noinput"], env)
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
    base: str,
    paths: dict[Endpoint, str],
    cookie: str,
    options: argparse.Namespace,
    workdir: Path,
) -> dict[Endpoint, Figures]:
    """A warm-up, then the rounds: every endpoint in turn, so load bursts hit them alike."""
    script = workdir / "report.lua"
    script.write_text(WRK_REPORT)
    figures = {endpoint: Figures() for endpoint in ENDPOINTS}
    for endpoint, path in paths.items():  # warm-up: code paths, connections, caches
        wrk(
            base + path,
            seconds=1,
            options=options,
            cookie=cookie if endpoint.with_cart else "",
            script=script,
        )
    for _ in range(options.rounds):
        for endpoint, path in paths.items():
            report = wrk(
                base + path,
                seconds=options.duration,
                options=options,
                cookie=cookie if endpoint.with_cart else "",
                script=script,
            )
            figures[endpoint].add(report)
    return figures


def stop(server: subprocess.Popen | None, options: argparse.Namespace) -> None:
    """Stop gunicorn and drop the bench database."""
    if server is not None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    try:
        recreate_database(options.database_url, drop_only=True)
    except Exception as error:  # noqa: BLE001 - report, the figures still stand
        print(f"note: could not drop the bench database: {error}")


def print_table(figures: dict[Endpoint, Figures]) -> None:
    floor = figures[FLOOR]
    floor_p50 = statistics.median(floor.p50_ms)
    print()
    print(
        f"{'endpoint':<24} {'path':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s ÷ floor':>14} {'p50 × floor':>12} {'errors':>7}"
    )
    for endpoint, f in figures.items():
        p50 = statistics.median(f.p50_ms)
        p99 = statistics.median(f.p99_ms)
        print(
            f"{endpoint.name:<24} {endpoint.path:<34} {f.rps:>8.0f} {p50:>8.1f} {p99:>8.1f} "
            f"{f.rps / floor.rps:>14.2f} {p50 / floor_p50:>12.1f} {f.errors:>7}"
        )
    print(
        "\nreq/s over all rounds; p50 and p99 are the medians of the rounds' wrk percentiles. "
        "req/s ÷ floor: the share of the health check's throughput the endpoint keeps."
    )


if __name__ == "__main__":
    main()
