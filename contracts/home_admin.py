"""The staff operations home: what needs staff today, as queues with a count and a link to
the filtered list, and small charts of the last six months (server-rendered SVG, no external
assets). Computed in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.http import HttpRequest
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, Incident, SharingFlag
from cameras.models import Unit
from notices.models import Notice

from .models import ContractTransfer, RegistrationApplication, Rental, RentalUnit, ServiceEnd
from .services.inactivity import revocation_queue

WEEKS = 26
CHART_WIDTH = 520
CHART_HEIGHT = 120
BAR_GAP = 2


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: int
    week: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: list[Bar]
    maximum: int
    latest: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


@dataclass(frozen=True)
class StaffHome:
    queues: list[Queue]
    charts: list[Chart]


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def _may_open(request: HttpRequest, url: str) -> bool:
    """Whether ``request.user`` may open the admin list ``url`` (its ModelAdmin's view
    permission): a queue links only to a list its reader is let into."""
    path = url.split("?", 1)[0]
    prefix = get_script_prefix()  # reverse() put it there; resolve() matches without it
    try:
        match = resolve("/" + path.removeprefix(prefix))
    except Resolver404:
        return False
    model_admin = getattr(match.func, "model_admin", None)
    return model_admin is not None and bool(model_admin.has_view_or_change_permission(request))


def queues_for(request: HttpRequest, queues: list[Queue]) -> list[Queue]:
    """The queues as ``request.user`` reads them: every count, and the link to the list only
    where the user may open it (a reviewer without the rentals' or incidents' permissions
    was sent to a 403 page)."""
    return [q if not q.url or _may_open(request, q.url) else replace(q, url="") for q in queues]


def staff_queues(*, now: datetime) -> list[Queue]:
    """One COUNT per queue."""
    week_ahead = now + timedelta(days=7)
    return [
        Queue(
            "applications",
            str(_("Applications waiting for a decision")),
            RegistrationApplication.objects.filter(
                state=RegistrationApplication.State.SUBMITTED
            ).count(),
            _url("admin:contracts_registrationapplication_changelist", "state__exact=submitted"),
        ),
        Queue(
            "rental_requests",
            str(_("Rental requests waiting for a decision")),
            Rental.objects.filter(state=Rental.State.REQUESTED).count(),
            _url("admin:contracts_rental_changelist", "state__exact=requested"),
        ),
        Queue(
            "incidents",
            str(_("Open credential incidents")),
            Incident.objects.exclude(state=Incident.State.RESOLVED).count(),
            _url("admin:accounts_incident_changelist", "state__in=open,acknowledged"),
        ),
        Queue(
            "sharing_flags",
            str(_("Credential-sharing flags to review")),
            SharingFlag.objects.filter(reviewed_at__isnull=True).count(),
            _url("admin:accounts_sharingflag_changelist", "reviewed_at__isnull=True"),
        ),
        Queue(
            "failed_notices",
            str(_("Failed notices")),
            Notice.objects.filter(state=Notice.State.FAILED).count(),
            _url("admin:notices_notice_changelist", "state__exact=failed"),
        ),
        Queue(
            "cancellations",
            str(_("Cancellations taking effect in the next 7 days")),
            # A suspended company keeps its status while its notice runs: the date says it.
            Customer.objects.filter(
                status__in=[Customer.Status.CANCELLATION_SCHEDULED, Customer.Status.SUSPENDED],
                cancellation_effective_at__lte=week_ahead,
            ).count(),
            _url(
                "admin:accounts_customer_changelist",
                "status__in=cancellation_scheduled,suspended&cancellation_effective_at__isnull=False",
            ),
        ),
        Queue(
            "revocation_queue",
            str(_("Unanswered inactivity contacts: consider revocation (Art. 12(1)(5))")),
            revocation_queue().count(),
            _url("admin:contracts_revocationqueueentry_changelist", ""),
        ),
        Queue(
            "service_ends",
            str(_("Service ends taking effect in the next 30 days (Art. 8(2))")),
            ServiceEnd.objects.filter(
                state=ServiceEnd.State.ANNOUNCED, effective_at__lte=now + timedelta(days=30)
            ).count(),
            _url("admin:contracts_serviceend_changelist", "state__exact=announced"),
        ),
        Queue(
            "units_to_return",
            str(_("Units to be returned (rentals ending or ended)")),
            RentalUnit.objects.filter(
                returned_at__isnull=True,
                rental__state__in=[Rental.State.ENDING, Rental.State.ENDED],
            ).count(),
            _url("admin:contracts_rental_changelist", "state__in=ending,ended"),
        ),
        Queue(
            "units_to_wipe",
            # Art. 10(7): the SD card or NAS of a returned unit is wiped before it is rented again.
            str(_("Returned units waiting for their data to be wiped (Art. 10(7))")),
            Unit.objects.filter(state=Unit.State.RETURNED).count(),
            _url("admin:cameras_unit_changelist", "state__exact=returned"),
        ),
        Queue(
            "transfers",
            str(_("Transfer requests waiting (Art. 17)")),
            ContractTransfer.objects.filter(state=ContractTransfer.State.REQUESTED).count(),
            _url("admin:contracts_contracttransfer_changelist", "state__exact=requested"),
        ),
    ]


def _week_ends(now: datetime) -> list[datetime]:
    """The ends of the last ``WEEKS`` weeks (Mondays 00:00 local), the current week last."""
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return [monday - timedelta(weeks=WEEKS - 1 - i) + timedelta(weeks=1) for i in range(WEEKS)]


def _chart(key: str, title: str, values: list[int], ends: list[datetime]) -> Chart:
    maximum = max(values) if values else 0
    step = CHART_WIDTH // len(values)
    bars = []
    for i, (value, end) in enumerate(zip(values, ends, strict=True)):
        height = round(value / maximum * (CHART_HEIGHT - 4)) if maximum else 0
        bars.append(
            Bar(
                x=i * step,
                y=CHART_HEIGHT - height,
                width=step - BAR_GAP,
                height=height,
                value=value,
                week=(end - timedelta(days=7)).strftime("%Y-%m-%d"),
            )
        )
    return Chart(key, title, bars, maximum, values[-1] if values else 0)


def staff_charts(*, now: datetime) -> list[Chart]:
    """Active customers and active rentals at the end of each week, notices sent per week:
    three queries."""
    ends = _week_ends(now)
    start = ends[0] - timedelta(weeks=1)
    # A customer counts from its usage contract until its registration ended.
    customers = list(
        Customer.objects.filter(usage_contract__formed_at__lt=ends[-1]).values_list(
            "usage_contract__formed_at", "status", "status_changed_at"
        )
    )
    active_customers = [
        sum(
            1
            for formed, status, changed in customers
            if formed < end
            and not (status in Customer.ENDED_STATUSES and changed is not None and changed < end)
        )
        for end in ends
    ]
    rentals = list(
        Rental.objects.filter(started_at__isnull=False, started_at__lt=ends[-1])
        .exclude(ended_at__lt=start)
        .values_list("started_at", "ended_at")
    )
    active_rentals = [
        sum(
            1
            for started, ended_at in rentals
            if started is not None and started < end and (ended_at is None or ended_at >= end)
        )
        for end in ends
    ]
    sent = dict(
        Notice.objects.filter(state=Notice.State.SENT, sent_at__gte=start, sent_at__lt=ends[-1])
        .annotate(week=TruncWeek("sent_at", tzinfo=timezone.get_current_timezone()))
        .values_list("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    sent_by_week = {timezone.localtime(week).date(): n for week, n in sent.items()}
    notices_sent = [sent_by_week.get((end - timedelta(weeks=1)).date(), 0) for end in ends]
    return [
        _chart("customers", str(_("Active customers")), active_customers, ends),
        _chart("rentals", str(_("Active rentals")), active_rentals, ends),
        _chart("notices", str(_("Notices sent per week")), notices_sent, ends),
    ]


def staff_home(*, now: datetime | None = None) -> StaffHome:
    now = now or timezone.now()
    return StaffHome(queues=staff_queues(now=now), charts=staff_charts(now=now))
