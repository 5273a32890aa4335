"""What the customer's lifecycle services share (``standing``, ``cancellations``,
``inactivity``): Tokyo calendar dates, locking the customer and setting its status, and what
an ending registration sets in motion: rentals end with their video data (Art. 10(6)), unpaid
charges fall due (Art. 12(2)), access ends, and the return checklist opens (Art. 12(5))."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.clauses import Clause
from accounts.models import Customer, Membership, User
from accounts.staff import require_staff_permission

from ..models import (
    PROVIDER_GROUND_CHOICES,
    Measure,
    Rental,
    ReturnChecklist,
    ReturnItem,
)
from ..selectors.rentals import units_to_return_for_customers
from . import rental_ends

# Calendar month arithmetic, clamped to the month end: the one of billing (Art. 5, 13(9)).
from .billing import add_months as add_months

TOKYO = ZoneInfo("Asia/Tokyo")

# The software and documents every customer received with the service (Art. 12(5)): on
# revocation or cancellation they are returned or destroyed as the provider instructs.
# The description is stored in English (the source language) and shown translated.
PROVIDED_MATERIALS = [
    (
        ReturnItem.Kind.SOFTWARE,
        gettext_noop("Viewer software, licence keys and installation media"),
    ),
    (ReturnItem.Kind.MANUAL, gettext_noop("Manuals, setup guides and other documents provided")),
]


# --- rentals (contracts.services.rentals / billing / selectors) -------------------------------
# The one place each of the rental feature's interfaces is called from.


def rentals_end_counted(
    *, customer_ids: Sequence[int], actor: User | None, clause: str
) -> dict[int, int]:
    """Ends every rental of these customers, with the deletion records of their video data
    (Art. 10(6)); returns how many live rentals each had. A fixed number of queries."""
    live = dict(
        Rental.objects.filter(customer_id__in=customer_ids, state__in=Rental.LIVE_STATES)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    rental_ends.rentals_end_for_customers(
        customer_ids=customer_ids, actor=actor, clause=Clause(clause)
    )
    return {pk: live.get(pk, 0) for pk in customer_ids}


def rentals_end_selected(*, customers: QuerySet[Any], clause: str) -> None:
    """Ends every rental of the companies whose ids ``customers`` selects (a
    ``values("customer_id")`` query), without their ids in Python (the scheduler applying the
    cancellations due, which counted the live rentals in its own statement)."""
    rental_ends.rentals_end_for_customers(customer_ids=customers, actor=None, clause=Clause(clause))


def units_to_return(*, customer_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """(unit id, "model #serial") of each rented unit each customer still holds."""
    result: dict[int, list[tuple[str, str]]] = {}
    for customer_id, unit in units_to_return_for_customers(customer_ids=customer_ids):
        result.setdefault(customer_id, []).append((str(unit.pk), str(unit)))
    return result


# --- helpers ----------------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, TOKYO).date()


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Tokyo of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=TOKYO)


# Why a member of staff without the measure's permission is refused, in their language.
_MEASURE_REFUSALS = {
    Measure.SUSPEND: gettext_lazy(
        "Only staff entitled to suspend customers may suspend a company or lift its "
        "suspension (Art. 12(1))."
    ),
    Measure.REVOKE: gettext_lazy(
        "Only staff entitled to revoke registrations may revoke a company's registration "
        "(Art. 12(1))."
    ),
    Measure.CANCEL_FOR_PROVIDER: gettext_lazy(
        "Only staff entitled to give the provider's notice of cancellation may give or "
        "withdraw it (Art. 12(3))."
    ),
    Measure.ANNOUNCE_SERVICE_END: gettext_lazy(
        "Only staff entitled to announce the end of the service may announce it (Art. 8(2))."
    ),
    Measure.SCHEDULE_INTERRUPTION: gettext_lazy(
        "Only staff entitled to schedule service interruptions may schedule one (Art. 8(1))."
    ),
    Measure.RECORD_RETURNS: gettext_lazy(
        "Only staff entitled to record returns may record the software and manuals as "
        "returned or destroyed (Art. 12(5))."
    ),
}


def require_measure(actor: User, measure: Measure) -> None:
    """The provider's heavy measures need provider staff holding their permission (the
    "measures" group; superusers hold every permission). Checked before anything is read
    or written."""
    require_staff_permission(actor, measure, str(_MEASURE_REFUSALS[measure]))


def check_ground(ground: str) -> None:
    if ground not in dict(PROVIDER_GROUND_CHOICES):
        raise ValidationError(_("Choose a ground of Art. 12(1)(1)–(7)."), code="invalid_ground")


def lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def set_status(customer: Customer, status: str, now: datetime, *fields: str) -> None:
    if customer.status != status:
        customer.status = status
        customer.status_changed_at = now
    customer.full_clean()
    customer.save(update_fields=["status", "status_changed_at", "updated_at", *fields])


def provider_recipients() -> list[str]:
    return [settings.PROVIDER_EMAIL]


def end_access(*, customer_ids: Sequence[int] | QuerySet[Any], disable_logins: bool) -> None:
    """Ends every session and API token of the companies' members (their ids, or a query
    selecting them), in a fixed number of queries; with ``disable_logins`` their logins stop
    working too."""
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session
    from knox.models import AuthToken

    members = Membership.objects.filter(customer_id__in=customer_ids).values("user_id")
    keys = UserSession.objects.filter(user_id__in=members).values("session_key")
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user_id__in=members).delete()
    AuthToken.objects.filter(user_id__in=members).delete()
    if disable_logins:
        User.objects.filter(pk__in=members).update(is_active=False)


def open_return_checklists(
    *, customers: Sequence[Customer], reason: str, now: datetime
) -> dict[int, list[ReturnItem]]:
    """Art. 12(5): opens each customer's return checklist with the units still held and the
    software and manuals provided. A fixed number of queries whatever their number."""
    if not customers:
        return {}
    ReturnChecklist.objects.bulk_create(
        [ReturnChecklist(customer=c, reason=reason, opened_at=now) for c in customers],
        ignore_conflicts=True,
    )
    lists = {
        cl.customer_id: cl
        for cl in ReturnChecklist.objects.filter(
            customer__in=customers, closed_at__isnull=True, items__isnull=True
        )
    }
    units = units_to_return(customer_ids=[c.pk for c in customers])
    items: dict[int, list[ReturnItem]] = {}
    for customer in customers:
        checklist = lists.get(customer.pk)
        if checklist is None:
            continue
        rows = [
            ReturnItem(
                checklist=checklist,
                kind=ReturnItem.Kind.UNIT,
                action=ReturnItem.Action.RETURN,
                description=description[:300],
                unit_ref=ref,
            )
            for ref, description in units.get(customer.pk, [])
        ]
        rows += [
            ReturnItem(
                checklist=checklist,
                kind=kind,
                action=ReturnItem.Action.RETURN_OR_DESTROY,
                description=description,
            )
            for kind, description in PROVIDED_MATERIALS
        ]
        items[customer.pk] = rows
    ReturnItem.objects.bulk_create([i for rows in items.values() for i in rows])
    return items
