"""HTTP benchmark of the request path: gunicorn (production settings, PostgreSQL, Redis cache,
2 workers) driven by wrk (``make bench-deps`` installs it from Debian).

    .venv/bin/python bench/http.py [--duration 10] [--connections 8]

In one run it measures requests per second and the 50th/99th percentile latency of:
a bare WSGI hello on the same gunicorn (no Django), a Django hello view through the portal's
middleware (anonymous, and signed in: the floor of every signed-in request), a typical Django
page (a session read from the database, its user, 20 rows and a
template), and, signed in as the demo owner, whose company has 200 rentals, 500 units and
1,000 notices (bench/scale.py): the dashboard, the contract list (/rentals/), a rental's
page, /api/v1/rentals, /notices/, /api/v1/notices, /api/v1/me and the terms page (signed in,
and anonymous). Each figure is printed with its ratio to the typical page and to the Django
hello, and checked against the targets of the request path (issues 9 and 15).

It uses its own database (created, migrated and seeded with the demo data if missing) and
the benchmark's settings (bench.settings: production's plus the two reference views, which a
deployed portal never serves)."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where "http.py" would stand in
# for the standard library's http package: the project root takes its place.
BASE_DIR = Path(__file__).resolve().parent.parent
sys.path[:] = [str(BASE_DIR)] + [
    p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"
]

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from bench.database import ensure_database  # noqa: E402

if TYPE_CHECKING:
    from bench.scale import Scale

DEMO_OWNER = "owner@yamada.example.jp"
DEMO_STAFF = "admin@cts.example.jp"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds over every page; each page's figure is its median round, so that a "
        "change of the machine's load during the run weighs on every page alike",
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument(
        "--only", default="", help="measure only the pages whose path contains this text"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ctsportal_bench_http"
        ),
    )
    parser.add_argument(
        "--cache-url",
        # A Redis database of its own: a test run's cache.clear() elsewhere must not wipe it.
        default=os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/14"),
    )
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    site = f"http://127.0.0.1:{args.port}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(BASE_DIR),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.cache_url,
        "CELERY_BROKER_URL": args.cache_url.replace("rediscache://", "redis://"),
        "EMAIL_URL": "consolemail://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": site,
        # Plain HTTP on the loopback: no redirect to HTTPS, no HSTS.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        # The API's throttles stay on (their cost is measured) but never refuse here.
        "API_THROTTLE_USER": "100000000/min",
        "API_THROTTLE_ANON": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(env: dict[str, str]) -> tuple[dict[str, str], Scale]:
    """Migrates and seeds the benchmark's database, brings the demo owner's company to scale,
    collects static files, and signs the demo owner in. Returns the cookies of the signed-in
    session (with the CSRF cookie a signed-in browser has) and the typical page, and the
    company's scale."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command

    from accounts.audit import audit_record
    from accounts.models import AuditEntry, User
    from bench.scale import scale_customer
    from bench.views import SESSION_COOKIE

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)
    scale = scale_customer(owner_email=DEMO_OWNER, staff_email=DEMO_STAFF)
    call_command("collectstatic", verbosity=0, interactive=False)
    owner = User.objects.get(email=DEMO_OWNER)
    for _ in range(max(0, 20 - AuditEntry.objects.count())):
        audit_record(action="bench.row", actor=owner)
    session = SessionStore()
    now = int(time.time())
    session.update(
        {
            SESSION_KEY: str(owner.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: owner.get_session_auth_hash(),
            "accounts_signed_in_at": now,
            "accounts_last_seen": now,
        }
    )
    session.create()
    # A browser that signed in carries the CSRF cookie set by the sign-in form's page.
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    cookies = {
        "sessionid": str(session.session_key),
        settings.CSRF_COOKIE_NAME: _get_new_csrf_string(),
        SESSION_COOKIE: str(session.session_key),
    }
    return cookies, scale


class Server:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.wsgi:application",
                "--workers=2",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                # Another server on the port would answer the health check in its place.
                raise SystemExit(f"gunicorn exited (is port {port} taken?)")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@dataclass
class Figure:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    args: argparse.Namespace,
    name: str,
    path: str,
    cookies: dict[str, str] | None,
    *,
    warm_up: bool = True,
) -> Figure:
    url = f"http://127.0.0.1:{args.port}{path}"
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency"]
    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    if cookies:
        command += ["-H", "Cookie: " + header]
    if warm_up:
        # The page itself must answer (not a redirect to sign in or to accept the terms).
        check = urllib.request.Request(url, headers={"Cookie": header} if header else {})
        with urllib.request.urlopen(check, timeout=60) as response:  # noqa: S310 (http://127.0.0.1)
            if response.status != 200 or response.url != url:
                raise SystemExit(f"{path} answered {response.status} at {response.url}")
        # A short warm-up (caches, connections), then the measurement.
        subprocess.run([*command, "-d2s", url], capture_output=True, check=True)
    out = subprocess.run(
        [*command, f"-d{args.duration}s", url], capture_output=True, check=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Figure(name, rps, p50, p99, int(bad.group(1)) if bad else 0)


# What the request path must reach (issues 9 and 15): (ratio to the typical page, ratio to
# the Django hello). Lists are pages of 50 rows; the company has 200 rentals, 500 units and
# 1,000 notices.
def targets(scale: Scale) -> dict[str, tuple[float | None, float | None]]:
    return {
        "/dashboard/": (2.0, None),
        "/rentals/": (1.5, None),
        f"/rentals/{scale.rental_id}/": (2.0, None),
        "/api/v1/rentals": (1.5, None),
        "/notices/": (1.5, None),
        "/api/v1/notices": (1.5, None),
        "/api/v1/me": (2.0, None),
        "/terms/terms-of-use/": (None, 0.5),
    }


# The public terms page, also as an anonymous visitor reads it (no target of its own).
ANONYMOUS = ["/terms/terms-of-use/"]


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make bench-http` installs it and runs this benchmark.")
    args.port = args.port or free_port()
    env = environment(args)
    ensure_database(args.database_url)
    cookies, scale = prepare(env)
    signed_in = {name: value for name, value in cookies.items() if name != "bench_session"}
    wanted = targets(scale)
    server = Server(env, args.port)
    pages: list[tuple[str, str, dict[str, str] | None]] = [
        ("bare WSGI hello", "/bench/bare", None),
        ("Django hello", "/bench/hello", None),
        ("typical page", "/bench/typical", {"bench_session": cookies["bench_session"]}),
        # The floor of any signed-in request: the session and the person, then a hello.
        ("Django hello, signed in", "/bench/hello", signed_in),
        *((path, path, signed_in) for path in wanted if args.only in path),
        *((f"{path} (anonymous)", path, None) for path in ANONYMOUS if args.only in path),
    ]
    rounds: list[list[Figure]] = []
    try:
        for number in range(args.rounds):
            rounds.append([wrk(args, *page, warm_up=number == 0) for page in pages])
    finally:
        server.stop()
    figures = [
        sorted(measured, key=lambda f: f.rps)[len(measured) // 2]
        for measured in zip(*rounds, strict=True)
    ]
    hello, typical = figures[1].rps, figures[2].rps
    print(
        f"gunicorn 2 workers, production settings, PostgreSQL + Redis; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s, median of {args.rounds} rounds; "
        f"the demo owner's company: {scale.rentals} "
        f"rentals, {scale.units} units, {scale.notices} notices; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(
        f"{'page':<36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'×typical':>10}{'×hello':>8}  target"
    )
    for figure in figures:
        want_typical, want_hello = wanted.get(figure.name, (None, None))
        ratio_typical, ratio_hello = figure.rps / typical, figure.rps / hello
        verdict = ""
        if want_typical is not None:
            verdict = (
                f"≥{want_typical}× typical: {'ok' if ratio_typical >= want_typical else 'MISSED'}"
            )
        if want_hello is not None:
            verdict = f"≥{want_hello}× hello: {'ok' if ratio_hello >= want_hello else 'MISSED'}"
        if figure.errors:
            verdict += f"  ({figure.errors} non-2xx/3xx responses)"
        print(
            f"{figure.name:<36}{figure.rps:>9.0f}{figure.p50_ms:>9.1f}{figure.p99_ms:>9.1f}"
            f"{ratio_typical:>10.2f}{ratio_hello:>8.2f}  {verdict}"
        )


if __name__ == "__main__":
    main()
