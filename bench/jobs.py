"""Benchmark of the lifecycle jobs (Art. 8, 12) at 10,000 and 100,000 customers.

    .venv/bin/python bench/jobs.py                 # both sizes
    .venv/bin/python bench/jobs.py --sizes 10000   # one size

It uses its own database (created and migrated if missing; its customers are wiped first).
The data is a steady day, not a first run: customers are spread over the states (80 %
active, 5 % suspended, 5 % with a cancellation scheduled within the next 30 days, of which
one in 25 is overdue, 5 % cancelled, 5 % revoked) and over last-use dates (uniform over the
last 91 days, plus 1 % of the active ones idle for exactly three months and a day, who are
due today); each has an owner, and each live one (active, suspended, cancellation scheduled)
a usage contract and one active rental; 1 % of the active ones were contacted for inactivity
20–40 days ago. A service end announced 10 days ago (every live customer already has its
notice), a due end of the whole service (it ends every live rental: its yardstick is an
UPDATE of the event and of those rentals), and an emergency interruption naming 1 % of the
customers.

For each job it prints the wall time (the best of five runs, taken in turns with its
yardstick's so that both see the same moments of a shared machine), the SQL query count, the
peak Python memory (a further run under tracemalloc, whose bookkeeping would distort the
time), the wall time of a raw SQL UPDATE of the same rows (best of five; for the interruption
and the service-end notices, which change one event row and notify many customers, an UPDATE
of the customers they notify, selected by the same conditions) and, for the jobs that write
notices, of one raw INSERT ... SELECT of the very notices it wrote into a copy of the table
(its indexes included): together the floor of what the job must write. With ``--floor``,
each job that writes its notices in SQL is also timed with notices that carry no subject,
text or HTML at all (rows of a few hundred bytes): what the audit and notice rows cost by
their number alone, whatever their content. Every run is rolled
back, so each job sees the same data and the measured runs do not disturb each other; the
delivery tasks of the notices are not queued (they would be after a real commit)."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ itself comes first on the path, and its http.py would shadow the
# standard library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]
sys.path.insert(0, str(BASE_DIR))

from bench.database import ensure_database  # noqa: E402

# The raw UPDATE each job's state change is compared with (the rows it changes or notifies,
# no notices, no audit): the floor a set-based job cannot go below.
RAW_SQL = {
    "customers_flag_inactive": """
        UPDATE accounts_customer SET inactivity_contacted_at = now()
        WHERE status = 'active' AND inactivity_contacted_at IS NULL
          AND GREATEST(COALESCE(last_activity_at, created_at),
                       COALESCE(inactivity_answered_at, created_at),
                       COALESCE(status_changed_at, created_at)) < %(cutoff)s""",
    "inactivity_escalate_unanswered": """
        UPDATE accounts_customer SET inactivity_escalated_at = now()
        WHERE status = 'active' AND inactivity_escalated_at IS NULL
          AND inactivity_contacted_at <= %(deadline)s
          AND (last_activity_at IS NULL OR last_activity_at <= inactivity_contacted_at)""",
    "cancellation_reminders_send_due": """
        UPDATE contracts_cancellation SET reminded_at = now()
        WHERE state = 'scheduled' AND reminded_at IS NULL AND effective_at > now()
          AND effective_at <= now() + interval '7 days'
          AND given_at < effective_at - interval '7 days'""",
    "cancellations_apply_due": """
        UPDATE accounts_customer SET status = 'cancelled', status_changed_at = now()
        WHERE id IN (SELECT customer_id FROM contracts_cancellation
                     WHERE state = 'scheduled' AND effective_at <= now())""",
    # The two notifying jobs change one event row and notify its customers: their yardstick
    # is an UPDATE of the customers they notify, selected by the same conditions (live, named
    # by the interruption or not yet told of the service end). Written for the bench's
    # events: a service end of the whole service and an interruption naming its customers.
    "service_end_notices_send_due": """
        UPDATE accounts_customer c SET updated_at = now()
        FROM contracts_serviceend e
        WHERE e.state = 'announced' AND e.effective_at > now() AND e.scope = 'all'
          AND c.status IN ('active', 'suspended', 'cancellation_scheduled')
          AND NOT EXISTS (
            SELECT 1 FROM notices_notice n
            WHERE n.customer_id = c.id AND n.kind = 'service_end'
              AND n.subject_id = e.id::text AND n.period = '')""",
    "interruptions_notify_due": """
        UPDATE accounts_customer c SET updated_at = now()
        FROM contracts_serviceinterruption i
        JOIN contracts_serviceinterruption_customers n ON n.serviceinterruption_id = i.id
        WHERE n.customer_id = c.id AND i.scope = 'customers'
          AND i.notified_at IS NULL AND (i.emergency = false OR i.starts_at <= now())
          AND c.status IN ('active', 'suspended', 'cancellation_scheduled')""",
    # The service's end and the rentals it ends (the whole service: every live rental).
    "service_ends_apply_due": """
        WITH ends AS (
          UPDATE contracts_serviceend SET state = 'applied', applied_at = now()
          WHERE state = 'announced' AND effective_at <= now() RETURNING id)
        UPDATE contracts_rental SET state = 'ended', ended_at = now(), updated_at = now()
        WHERE state IN ('approved', 'active', 'suspended', 'ending')
          AND EXISTS (SELECT 1 FROM ends)""",
}


# The jobs whose notices the database writes (``notices_insert_sql``); applying the
# cancellations due renders them in Python.
SQL_NOTICES = {
    "interruptions_notify_due",
    "service_end_notices_send_due",
    "cancellation_reminders_send_due",
    "customers_flag_inactive",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the second run under tracemalloc"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the jobs that write notices in SQL with notices without any content",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ctsportal_bench_jobs"
        ),
    )
    return parser.parse_args()


def seed(size: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from accounts.clauses import Clause
    from accounts.models import Customer, Membership, User
    from cameras.models import Product
    from contracts.models import (
        Cancellation,
        RegistrationApplication,
        Rental,
        ServiceEnd,
        ServiceInterruption,
        UsageContract,
    )
    from notices.models import Notice

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_customer, accounts_user, notices_notice, accounts_auditentry,"
            " contracts_cancellation, contracts_serviceend, contracts_serviceinterruption,"
            " contracts_returnchecklist RESTART IDENTITY CASCADE"
        )
    from django.contrib.auth.hashers import make_password

    rng = random.Random(12)
    unusable = make_password(None)
    now = timezone.now()
    staff = User.objects.create_user("bench-staff@cts.example.jp", None, is_staff=True)
    product, _created = Product.objects.get_or_create(
        model_code="BENCH-NC",
        defaults={
            "category": "network_camera",
            "name_ja": "ベンチ用カメラ",
            "name_en": "Bench camera",
            "resolution": "1920x1080",
            "connectivity": "lte",
            "power": "solar_battery",
            "recording": "cloud",
            "monthly_fee_yen": 9800,
        },
    )
    states = ["active"] * 16 + ["suspended", "cancellation_scheduled", "cancelled", "revoked"]
    batch = 10000
    for start in range(0, size, batch):
        n = min(batch, size - start)
        customers = []
        for i in range(start, start + n):
            status = states[i % len(states)]
            last_use = now - timedelta(days=rng.uniform(0, 91))
            contacted = None
            if status == "active":
                roll = rng.random()
                if roll < 0.01:
                    contacted = now - timedelta(days=rng.uniform(20, 40))
                    last_use = contacted - timedelta(days=95)
                elif roll < 0.02:
                    last_use = now - timedelta(days=93)
            customers.append(
                Customer(
                    name=f"ベンチ建設{i}",
                    status=status,
                    last_activity_at=last_use,
                    inactivity_contacted_at=contacted,
                    created_at=now - timedelta(days=400),
                )
            )
        customers = Customer.objects.bulk_create(customers)
        users = User.objects.bulk_create(
            [User(email=f"owner{c.pk}@bench.example.jp", password=unusable) for c in customers]
        )
        Membership.objects.bulk_create(
            [
                Membership(user=u, customer=c, role="owner")
                for u, c in zip(users, customers, strict=True)
            ]
        )
        # Each live company rents one camera under its usage contract (approved registration).
        live_pairs = [
            (c, u)
            for c, u in zip(customers, users, strict=True)
            if c.status in ("active", "suspended", "cancellation_scheduled")
        ]
        applications = RegistrationApplication.objects.bulk_create(
            [
                RegistrationApplication(
                    applicant=u,
                    customer=c,
                    state=RegistrationApplication.State.APPROVED,
                    company_name=c.name,
                    submitted_at=now - timedelta(days=400),
                    antisocial_declared_at=now - timedelta(days=400),
                    antisocial_declaration_sha256="0" * 64,
                    decided_at=now - timedelta(days=399),
                    decided_by=staff,
                )
                for c, u in live_pairs
            ]
        )
        contracts = UsageContract.objects.bulk_create(
            [
                UsageContract(
                    customer=c,
                    application=a,
                    formed_at=now - timedelta(days=399),
                    approved_by=staff,
                    terms_versions=[
                        {"document": "terms-of-use", "label": "2023-04-01", "sha256": "0" * 64}
                    ],
                )
                for (c, _u), a in zip(live_pairs, applications, strict=True)
            ]
        )
        Rental.objects.bulk_create(
            [
                Rental(
                    customer=c,
                    contract=k,
                    product=product,
                    quantity=1,
                    state=Rental.State.ACTIVE,
                    site_name=f"現場{c.pk}",
                    site_address="東京都",
                    desired_start=(now - timedelta(days=300)).date(),
                    requested_by=u,
                    decided_by=staff,
                    decided_at=now - timedelta(days=300),
                    started_at=now - timedelta(days=299),
                    unit_fee_yen=9800,
                    monthly_fee_yen=9800,
                )
                for (c, u), k in zip(live_pairs, contracts, strict=True)
            ]
        )
        Cancellation.objects.bulk_create(
            [
                Cancellation(
                    customer=c,
                    side="customer",
                    given_by=staff,
                    given_at=min(now, effective) - timedelta(days=rng.choice([7, 10, 30])),
                    effective_at=effective,
                )
                for c in customers
                if c.status == "cancellation_scheduled"
                for effective in [
                    now - timedelta(hours=1)
                    if rng.random() < 0.04
                    else now + timedelta(days=rng.uniform(0.1, 30))
                ]
            ]
        )
    Customer.objects.update(created_at=now - timedelta(days=400))
    announced = ServiceEnd.objects.create(
        scope="all",
        title="ベンチ用サービス終了",
        announced_by=staff,
        announced_at=now - timedelta(days=10),
        effective_at=now + timedelta(days=40),
    )
    # Announced 10 days ago: every live customer already has its notice (rows written
    # directly; the job only has to find that nobody is missing one).
    subject_type = ContentType.objects.get_for_model(ServiceEnd)
    live = Customer.objects.filter(
        status__in=["active", "suspended", "cancellation_scheduled"]
    ).values_list("pk", flat=True)
    Notice.objects.bulk_create(
        [
            Notice(
                customer_id=pk,
                kind="service_end",
                clause="art8.2",
                subject_type=subject_type,
                subject_id=str(announced.pk),
                dedupe_key=Notice.dedupe_key_for(
                    customer_id=pk,
                    kind="service_end",
                    subject_type_id=subject_type.pk,
                    subject_id=str(announced.pk),
                    period="",
                ),
                state="sent",
                sent_at=now - timedelta(days=10),
                content_sha256="0" * 64,
            )
            for pk in live
        ],
        batch_size=10000,
    )
    ServiceEnd.objects.create(
        scope="all",
        title="ベンチ用サービス終了（期日到来）",
        announced_by=staff,
        announced_at=now - timedelta(days=40),
        effective_at=now - timedelta(hours=1),
    )
    interruption = ServiceInterruption.objects.create(
        scope="customers",
        reason=Clause.ART8_1_2,
        title="ベンチ用緊急停止",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
        emergency=True,
        created_by=staff,
    )
    named = list(Customer.objects.filter(status="active").values_list("pk", flat=True)[::80])
    interruption.customers.set(named)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def rolled_back(run: Callable[[], Any]) -> Any:
    from django.db import transaction

    with transaction.atomic():
        result = run()
        transaction.set_rollback(True)
    return result


# Runs of a job and of its yardstick, taken in turns so that both see the same moments of a
# shared machine; the best of each is kept.
ROUNDS = 5


def timed(job: Callable[..., Any]) -> tuple[float, int, Any]:
    """One rolled-back run of the job: its wall time, its queries, its result."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    # Every run starts with the content types uncached.
    ContentType.objects.clear_cache()
    counter = Counter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = rolled_back(job)
    return time.perf_counter() - started, counter.count, result


def contentless(job: Callable[..., Any]) -> float:
    """The job's best wall time with every template of its notices rendered as nothing (the
    notices written in SQL: ``notices_insert_sql``)."""
    import notices.services.sql_rendering as sql_rendering

    original = sql_rendering._template_sql
    sql_rendering._template_sql = lambda skeleton, columns, **_kw: sql_rendering.Sql("''")
    try:
        return min(timed(job)[0] for _ in range(ROUNDS))
    finally:
        sql_rendering._template_sql = original


def measure(name: str, job: Callable[..., Any], *, memory: bool, floor: bool) -> dict[str, float]:
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from contracts.services.inactivity import inactivity_cutoff
    from contracts.services.lifecycle_common import local_date

    now = timezone.now()
    params = {
        "cutoff": inactivity_cutoff(local_date(now)),
        "deadline": now - timedelta(days=settings.INACTIVITY_REPLY_DAYS),
    }

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL[name], params)
            return cursor.rowcount

    # The job and its yardstick in turns (a few milliseconds each, easily disturbed on a
    # shared machine): the best of each. The timed runs count the queries; a further run
    # under tracemalloc measures the peak memory.
    wall = raw_wall = float("inf")
    for _ in range(ROUNDS):
        job_wall, queries, result = timed(job)
        wall = min(wall, job_wall)
        started = time.perf_counter()
        raw_rows = rolled_back(raw)
        raw_wall = min(raw_wall, time.perf_counter() - started)
    peak = 0
    if memory:
        ContentType.objects.clear_cache()
        tracemalloc.start()
        rolled_back(job)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    def notices_insert() -> float:
        # The floor of writing the job's notices: the same rows copied by one INSERT ...
        # SELECT into a table with the same indexes, in the job's (rolled back) transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM notices_notice")
            before = cursor.fetchone()[0]
            job()
            cursor.execute("CREATE TABLE bench_notice_copy (LIKE notices_notice INCLUDING ALL)")
            # LIKE copies no storage parameters (the notices' toast_tuple_target).
            cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'notices_notice'::regclass")
            options = cursor.fetchone()[0]
            if options:
                cursor.execute(f"ALTER TABLE bench_notice_copy SET ({', '.join(options)})")
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO bench_notice_copy SELECT * FROM notices_notice WHERE id > %s",
                [before],
            )
            return time.perf_counter() - started

    insert_wall = rolled_back(notices_insert) if result.notices else 0.0
    floor_wall = contentless(job) if floor and name in SQL_NOTICES and result.notices else 0.0
    return {
        "changed": result.changed,
        "notices": result.notices,
        "wall": wall,
        "queries": queries,
        "peak_mb": peak / 1e6,
        "raw_wall": raw_wall,
        "raw_rows": raw_rows,
        "insert_wall": insert_wall,
        "floor_wall": floor_wall,
    }


def main() -> None:
    args = parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctsportal.settings.test",
            "DATABASE_URL": args.database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    import notices.services.outbox as outbox
    from contracts.tasks import JOBS

    call_command("migrate", verbosity=0, interactive=False)
    # Delivery is queued only after a commit; the rolled-back runs would queue nothing
    # anyway, and the broker is not what is measured here.
    outbox._queue_delivery = lambda notice_ids: None

    results: dict[int, dict[str, dict[str, float]]] = {}
    for size in args.sizes:
        t = time.perf_counter()
        seed(size)
        print(f"\n== {size:,} customers (seeded in {time.perf_counter() - t:.1f} s)")
        print(
            f"{'job':34} {'changed':>8} {'notices':>8} {'wall s':>8} {'queries':>8}"
            f" {'peak MB':>8} {'raw s':>8} {'x raw':>7} {'ins s':>7} {'x raw+ins':>9}"
            + (f" {'empty s':>8} {'x raw':>6}" if args.floor else "")
        )
        results[size] = {}
        # A worker runs the jobs day after day: the first run in a process also imports the
        # URLconf and compiles the e-mail templates, which is not what is measured here.
        for job in JOBS.values():
            rolled_back(job)
        for name, job in JOBS.items():
            # The rolled-back runs leave dead rows and index entries behind (the flagging's
            # alone: 1,500 a run in the index of the companies contacted); autovacuum clears
            # them in a running portal, so each job starts from a vacuumed database.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            row = measure(name, job, memory=not args.no_memory, floor=args.floor)
            results[size][name] = row
            ratio = row["wall"] / row["raw_wall"] if row["raw_wall"] else float("inf")
            floor = row["raw_wall"] + row["insert_wall"]
            print(
                f"{name:34} {row['changed']:>8.0f} {row['notices']:>8.0f} {row['wall']:>8.3f}"
                f" {row['queries']:>8.0f} {row['peak_mb']:>8.2f} {row['raw_wall']:>8.3f}"
                f" {ratio:>7.1f} {row['insert_wall']:>7.3f} {row['wall'] / floor:>9.1f}"
                + (
                    f" {row['floor_wall']:>8.3f} {row['floor_wall'] / row['raw_wall']:>6.1f}"
                    if row["floor_wall"]
                    else ""
                )
            )
    if len(args.sizes) == 2:
        small, large = args.sizes
        print(f"\n== scaling {small:,} → {large:,}")
        print(f"{'job':34} {'queries':>15} {'wall ×':>8} {'peak mem ×':>11}")
        for name in JOBS:
            a, b = results[small][name], results[large][name]
            print(
                f"{name:34} {a['queries']:>6.0f} → {b['queries']:<6.0f}"
                f" {b['wall'] / a['wall']:>8.1f} {b['peak_mb'] / max(a['peak_mb'], 0.001):>11.1f}"
            )


if __name__ == "__main__":
    main()
