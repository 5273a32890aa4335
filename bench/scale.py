"""The benchmark's customer at scale (issue 15): the demo owner's company with 200 rentals,
500 units on them and 1,000 notices. Rows are written straight into the tables in bulk — a
fixture for measuring reads, not a workflow: the services that create these rows one by one
are exercised by the test suite. Idempotent: each run tops the company up to the counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

RENTALS = 200
UNITS = 500
NOTICES = 1000
# The product the benchmark's units belong to, and their serials' prefix (never a demo serial).
PRODUCT = "NC-WIRED-NAS04"
SERIAL_PREFIX = "BENCH-"


@dataclass(frozen=True)
class Scale:
    rentals: int
    units: int
    notices: int
    # A rental of the company, for the detail pages.
    rental_id: int


@transaction.atomic
def scale_customer(
    *,
    owner_email: str,
    staff_email: str,
    rentals: int = RENTALS,
    units: int = UNITS,
    notices: int = NOTICES,
) -> Scale:
    from accounts.clauses import Clause
    from accounts.models import Membership, User
    from cameras.models import Product, Unit
    from contracts.models import Rental, RentalUnit, UsageContract
    from notices.models import Notice, content_digest

    owner = User.objects.get(email=owner_email)
    staff = User.objects.get(email=staff_email)
    customer = Membership.objects.select_related("customer").get(user=owner).customer
    contract = UsageContract.objects.get(customer=customer)
    product = Product.objects.get(model_code=PRODUCT)
    now = timezone.now()

    existing = Rental.objects.filter(customer=customer)
    have = existing.count()
    # The new rentals' quantities add up to the units still to place (2 or 3 each at 200/500).
    new = max(0, rentals - have)
    need = max(0, units - sum(existing.values_list("quantity", flat=True)))
    quantities = [need // new + (1 if i < need % new else 0) for i in range(new)] if new else []
    Rental.objects.bulk_create(
        Rental(
            customer=customer,
            contract=contract,
            product=product,
            quantity=max(1, quantity),
            state=Rental.State.ACTIVE,
            site_name=f"ベンチマーク現場 {n:03d}",
            site_address=f"東京都千代田区丸の内1丁目{n}番",
            desired_start=(now - timedelta(days=n)).date(),
            recording=product.recording,
            requested_by=owner,
            requested_at=now - timedelta(days=n, hours=2),
            decided_by=staff,
            decided_at=now - timedelta(days=n, hours=1),
            unit_fee_yen=product.monthly_fee_yen,
            monthly_fee_yen=product.monthly_fee_yen * max(1, quantity),
            started_at=now - timedelta(days=n),
        )
        for n, quantity in enumerate(quantities, start=have)
    )

    assigned = RentalUnit.objects.filter(rental__customer=customer).count()
    if assigned < units:
        serials = set(
            Unit.objects.filter(serial__startswith=SERIAL_PREFIX).values_list("serial", flat=True)
        )
        Unit.objects.bulk_create(
            Unit(product=product, serial=serial, state=Unit.State.ASSIGNED)
            for serial in (f"{SERIAL_PREFIX}{n:05d}" for n in range(units))
            if serial not in serials
        )
        free = list(
            Unit.objects.filter(serial__startswith=SERIAL_PREFIX, assignments__isnull=True)
            .order_by("serial")
            .values_list("pk", flat=True)
        )
        # Each rental's missing units, rental by rental.
        held = Count("assignments")
        slots = [
            rental_pk
            for rental_pk, quantity, count in Rental.objects.filter(customer=customer)
            .annotate(held=held)
            .order_by("pk")
            .values_list("pk", "quantity", "held")
            for _ in range(max(0, quantity - count))
        ]
        RentalUnit.objects.bulk_create(
            RentalUnit(rental_id=rental_pk, unit_id=unit_pk, assigned_by=staff, assigned_at=now)
            for rental_pk, unit_pk in zip(slots, free[: units - assigned], strict=False)
        )

    have = Notice.objects.filter(customer=customer).count()
    kinds = [Notice.Kind.TERMS_CHANGED, Notice.Kind.SERVICE_INTERRUPTION, Notice.Kind.SERVICE_END]
    rows = []
    for n in range(have, notices):
        subject = f"【CTS】お知らせ {n:04d}"
        text = f"ベンチマーク用のお知らせ {n:04d}"
        rows.append(
            Notice(
                customer=customer,
                kind=kinds[n % len(kinds)],
                clause=Clause.ART16,
                period=f"bench-{n}",
                dedupe_key=f"bench/{customer.pk}/{n}",
                recipients=[owner.email],
                mail_subject=subject,
                body_text=text,
                body_html=f"<p>{text}</p>",
                content_sha256=content_digest(
                    mail_subject=subject, body_text=text, body_html=f"<p>{text}</p>"
                ),
                state=Notice.State.SENT,
                created_at=now - timedelta(hours=n),
                sent_at=now - timedelta(hours=n),
            )
        )
    Notice.objects.bulk_create(rows)

    latest = Rental.objects.filter(customer=customer).order_by("-requested_at", "-pk").first()
    assert latest is not None
    return Scale(
        rentals=Rental.objects.filter(customer=customer).count(),
        units=RentalUnit.objects.filter(rental__customer=customer).count(),
        notices=Notice.objects.filter(customer=customer).count(),
        rental_id=latest.pk,
    )
