"""Benchmark of the notices outbox: N pending notices delivered by a real Celery worker to a
local SMTP sink, compared with the rate of a no-op task on the same broker.

    .venv/bin/python bench/notices.py --n 10000

It uses its own database (created and migrated if missing; its notices are wiped first) and
its own Redis database for the broker. For each phase the queue is filled first and the
worker started afterwards, so both rates measure consumption only, not publishing. Prints
notices per second, SQL queries per notice (counted on a sample delivered in this process)
and the ratio to the no-op rate: the figure that matters, as it says how much of the
worker's capacity the outbox's own work (claim, SMTP, record) takes. Last, the rate of the
SMTP conversation alone (the same e-mail sent by as many plain processes to the same sink,
no Celery, no database), and the notices' rate with an e-mail backend that sends nothing:
what bounds the delivery, measured."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ itself comes first on the path, and its http.py would shadow the
# standard library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]
sys.path.insert(0, str(BASE_DIR))

from bench.database import ensure_database  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="notices (and pings) to deliver")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ctsportal_bench"
        ),
    )
    parser.add_argument(
        "--per-notice",
        action="store_true",
        help="publish one notice_deliver task per notice (the retry path) instead of batches",
    )
    parser.add_argument(
        "--broker-url",
        # A Redis database of its own: a test run's cache.clear() elsewhere must not wipe it.
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"),
    )
    parser.add_argument("--sample", type=int, default=50, help="notices for the query count")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per phase")
    return parser.parse_args()


class Worker:
    def __init__(self, env: dict[str, str], concurrency: int, log: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ctsportal",
                "worker",
                f"--concurrency={concurrency}",
                "-P",
                "prefork",
                "-n",
                f"bench-{os.getpid()}@%h",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def main() -> None:
    args = parse_args()
    from tests.notices.smtp_sink import SmtpSink

    sink = SmtpSink()
    sink.__enter__()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctsportal.settings.test",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": sink.url,
            "LOG_LEVEL": "WARNING",
        }
    )
    ensure_database(args.database_url)

    import django

    django.setup()
    import redis
    from django.core.mail import EmailMultiAlternatives
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.clauses import Clause
    from accounts.models import Customer, Membership, User
    from ctsportal.celery import app, ping
    from notices import services
    from notices.models import Notice, content_digest
    from notices.tasks import notice_deliver

    call_command("migrate", verbosity=0, interactive=False)
    broker = redis.Redis.from_url(args.broker_url)

    def purge() -> None:
        broker.delete("celery", "unacked", "unacked_index", "unacked_mutex")

    def backlog() -> int:
        return int(broker.llen("celery")) + int(broker.hlen("unacked"))

    # --- data ----------------------------------------------------------------------------
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notices_noticeread, notices_notice")
    customer = Customer.objects.filter(name="ベンチ建設株式会社").first()
    if customer is None:
        customer = Customer.objects.create(name="ベンチ建設株式会社", status="active")
        owner = User.objects.create_user("bench-owner@example.jp", None)
        Membership.objects.create(user=owner, customer=customer, role="owner")
    subject = "【CTS】サービス一時停止のお知らせ（2026年12月1日 1:00〜3:00）"
    text = (
        "ベンチ建設株式会社 御中\n\n下記の期間、メンテナンスのためサービスを一時停止いたします。\n"
        * 8
    )
    html = "<!DOCTYPE html><html lang='ja'><body>" + "<p>本文</p>" * 60 + "</body></html>"
    digest = content_digest(mail_subject=subject, body_text=text, body_html=html)
    now = timezone.now()
    total = args.n + args.sample
    Notice.objects.bulk_create(
        [
            Notice(
                customer=customer,
                kind=Notice.Kind.SERVICE_INTERRUPTION,
                clause=Clause.ART8_1,
                period=f"bench-{i}",
                dedupe_key=f"{customer.pk}/bench/{i}",
                recipients=["bench-owner@example.jp", "bench-member@example.jp"],
                mail_subject=subject,
                body_text=text,
                body_html=html,
                content_sha256=digest,
                created_at=now,
                queued_at=now,
            )
            for i in range(total)
        ],
        batch_size=2000,
    )
    ids = list(Notice.objects.order_by("pk").values_list("pk", flat=True))
    sample_ids, batch_ids = ids[: args.sample], ids[args.sample :]

    # --- SQL queries per notice, on a sample delivered in this process as the worker does ---
    with CaptureQueriesContext(connection) as captured:
        for start in range(0, len(sample_ids), services.DELIVERY_BATCH):
            batch = sample_ids[start : start + services.DELIVERY_BATCH]
            outcomes = services.notices_deliver(notice_ids=batch)
            assert {o.status for o in outcomes.values()} == {"sent"}
    queries_per_notice = len(captured.captured_queries) / len(sample_ids)

    env = {**os.environ, "CONN_MAX_AGE": "60"}
    log = Path(tempfile.gettempdir()) / "bench-notices-worker.log"

    def run_phase(
        label: str, publish: object, done: object, worker_env: dict[str, str] | None = None
    ) -> float:
        purge()
        t_publish = time.monotonic()
        publish()  # type: ignore[operator]
        published_in = time.monotonic() - t_publish
        queued = backlog()
        worker = Worker(worker_env or env, args.concurrency, log)
        try:
            deadline = time.monotonic() + args.timeout
            # The clock starts when the worker takes its first message.
            while backlog() >= queued:
                if time.monotonic() > deadline or worker.proc.poll() is not None:
                    raise SystemExit(f"{label}: the worker did not start; see {log}")
                time.sleep(0.005)
            start = time.monotonic()
            last_backlog, last_change = backlog(), start
            while not done():  # type: ignore[operator]
                now = time.monotonic()
                if now > deadline:
                    raise SystemExit(f"{label}: not finished within {args.timeout}s; see {log}")
                current = backlog()
                if current != last_backlog:
                    last_backlog, last_change = current, now
                elif current == 0 and now - last_change > 30:
                    raise SystemExit(
                        f"{label}: the queue is empty but the work is not done: were the "
                        f"messages wiped from {args.broker_url}? See {log}"
                    )
                time.sleep(0.02)
            elapsed = time.monotonic() - start
        finally:
            worker.stop()
        print(f"  {label}: {args.n} in {elapsed:.2f}s (published in {published_in:.2f}s)")
        return args.n / elapsed

    def publish_pings() -> None:
        with app.producer_or_acquire() as producer:
            for _ in range(args.n):
                ping.apply_async(producer=producer)

    def publish_notices() -> None:
        # As the outbox queues them after a commit: one task per DELIVERY_BATCH notices.
        if not args.per_notice:
            services.notices_queue_delivery(batch_ids)
            return
        with app.producer_or_acquire() as producer:
            for notice_id in batch_ids:
                notice_deliver.apply_async((notice_id,), producer=producer)

    def notices_done() -> bool:
        return backlog() == 0 and (
            Notice.objects.filter(pk__in=batch_ids[-1:]).exists()
            and not Notice.objects.exclude(state=Notice.State.SENT).exists()
        )

    def smtp_only_rate(notice_id: int) -> float:
        """The ceiling set by the SMTP conversation itself: ``concurrency`` processes send
        a notice's e-mail, byte for byte, ``n`` times in all to the same sink, each over
        one connection, with nothing else around it."""
        from notices.services.delivery import _message_id

        notice = Notice.objects.get(pk=notice_id)
        message = EmailMultiAlternatives(
            subject=notice.mail_subject,
            body=notice.body_text,
            from_email="portal@cts.example.jp",
            to=list(notice.recipients),
            headers={"Message-ID": _message_id(notice), "X-CTS-Notice-ID": str(notice.pk)},
        )
        message.attach_alternative(notice.body_html, "text/html")
        payload = Path(tempfile.gettempdir()) / "bench-notices-message.eml"
        # As Django's SMTP backend sends it.
        payload.write_bytes(message.message().as_bytes(linesep="\r\n"))  # type: ignore[call-arg]
        per_process = args.n // args.concurrency
        script = (
            "import smtplib, sys, pathlib\n"
            "data = pathlib.Path(sys.argv[2]).read_bytes()\n"
            "smtp = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))\n"
            "for _ in range(int(sys.argv[3])):\n"
            f"    smtp.sendmail('portal@cts.example.jp', {list(notice.recipients)!r}, data)\n"
            "smtp.quit()\n"
        )
        before = sink.handler.count()
        start = time.monotonic()
        senders = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(sink.port), str(payload), str(per_process)]
            )
            for _ in range(args.concurrency)
        ]
        for sender in senders:
            sender.wait()
        elapsed = time.monotonic() - start
        sent = sink.handler.count() - before
        print(f"  SMTP alone: {sent} in {elapsed:.2f}s")
        return sent / elapsed

    print(f"notices: n={args.n}, concurrency={args.concurrency}, broker={args.broker_url}")
    ping_rate = run_phase("no-op task (ctsportal.ping)", publish_pings, lambda: backlog() == 0)
    received_before = sink.handler.count()
    notice_rate = run_phase(
        "notice_deliver" if args.per_notice else "notices_deliver", publish_notices, notices_done
    )
    received = sink.handler.count() - received_before
    failed = Notice.objects.filter(state=Notice.State.FAILED).count()
    # The same notices again with an e-mail backend that sends nothing: what the claim,
    # the records and the task cost without the SMTP conversation.
    Notice.objects.filter(pk__in=batch_ids).update(
        state=Notice.State.PENDING, sent_at=None, attempts=0, claimed_at=None
    )
    no_smtp_rate = run_phase(
        "notices_deliver, no SMTP (dummy backend)",
        publish_notices,
        notices_done,
        {**env, "EMAIL_URL": "dummymail://"},
    )
    purge()
    sink_rate = smtp_only_rate(sample_ids[0])
    sink.__exit__()

    print(f"no-op tasks per second:  {ping_rate:10.1f}")
    print(f"notices per second:      {notice_rate:10.1f}")
    batches = "one task per notice" if args.per_notice else f"{services.DELIVERY_BATCH} a task"
    print(f"SQL queries per notice:  {queries_per_notice:10.2f}  ({batches})")
    print(f"ratio notices / no-op:   {notice_rate / ping_rate:10.3f}")
    print(f"notices without SMTP:    {no_smtp_rate:10.1f}  (ratio {no_smtp_rate / ping_rate:.3f})")
    print(f"SMTP alone, per second:  {sink_rate:10.1f}  (the same e-mail, no Celery, no database)")
    print(f"ratio notices / SMTP:    {notice_rate / sink_rate:10.3f}")
    print(f"e-mails at the sink:     {received:10d}  (notices {args.n}, failed {failed})")


if __name__ == "__main__":
    main()
