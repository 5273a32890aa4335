"""The staff operations home (admin index): queue counts with links to filtered lists and
six months of charts, computed in a fixed number of queries."""

from __future__ import annotations

import html
import itertools
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.clauses import Clause
from accounts.models import Customer, Incident, SharingFlag, User
from cameras.models import Product
from contracts.home_admin import staff_home
from contracts.models import ContractTransfer, ServiceEnd
from contracts.services import rental_operations
from notices.models import Notice
from notices.services import notice_create
from tests.contracts.conftest import make_applicant, make_submitted
from tests.contracts.rental_helpers import make_active, make_request
from tests.factories import CustomerFactory, UserFactory, valid_corporate_number

pytestmark = pytest.mark.django_db

_numbers = itertools.count()


def _count(body: str, key: str) -> int:
    match = re.search(rf'data-testid="count-{key}">(\d+)<', body)
    assert match, key
    return int(match.group(1))


def _fill(customer_a: Customer, alice: User, staff: User, n: int) -> None:
    """``n`` of everything each queue counts, plus rows that must not be counted."""
    now = timezone.now()
    for i in range(n):
        make_submitted(
            make_applicant(f"applicant{i}-{now.timestamp()}@x.example.jp"),
            corporate_number=valid_corporate_number(700000000 + next(_numbers)),
        )
        user = UserFactory()
        Incident.objects.create(customer=customer_a, user=user, channel=Incident.Channel.WEB)
        SharingFlag.objects.create(user=user, customer=customer_a, network_count=4)
        notice_create(
            customer=CustomerFactory(),
            kind=Notice.Kind.TERMS_CHANGED,
            clause=Clause.ART15,
            period=f"p{i}",
            recipients=[],
        )
        CustomerFactory(
            status=Customer.Status.CANCELLATION_SCHEDULED,
            cancellation_effective_at=now + timedelta(days=3),
        )
        rental = make_active(customer_a, alice, staff)
        rental_operations.rental_end(rental=rental, actor=staff)
        # Contacted for inactivity a month ago, no use since, escalated (Art. 12(1)(5)).
        CustomerFactory(
            status=Customer.Status.ACTIVE,
            last_activity_at=now - timedelta(days=130),
            inactivity_contacted_at=now - timedelta(days=35),
            inactivity_escalated_at=now - timedelta(days=1),
        )
        # The backhoe line's: the network cameras rented here stay requestable (Art. 8(2)).
        ServiceEnd.objects.create(
            scope=ServiceEnd.Scope.CATEGORY,
            category=Product.Category.BACKHOE_CAMERA_SYSTEM,
            title=f"end {i}",
            announced_by=staff,
            # Announced 40 days ago (Art. 8(2): at least 30 days' notice), ending in 20.
            announced_at=now - timedelta(days=40),
            effective_at=now + timedelta(days=20),
        )
    # Not in any queue: a cancellation three weeks away, a resolved incident, a live rental,
    # a contacted customer who used the portal since, a service end two months away.
    CustomerFactory(
        status=Customer.Status.ACTIVE,
        last_activity_at=now - timedelta(days=2),
        inactivity_contacted_at=now - timedelta(days=35),
        inactivity_escalated_at=now - timedelta(days=3),
    )
    ServiceEnd.objects.create(
        scope=ServiceEnd.Scope.CATEGORY,
        category=Product.Category.BACKHOE_CAMERA_SYSTEM,
        title="later",
        announced_by=staff,
        effective_at=now + timedelta(days=60),
    )
    CustomerFactory(
        status=Customer.Status.CANCELLATION_SCHEDULED,
        cancellation_effective_at=now + timedelta(days=21),
    )
    Incident.objects.create(
        customer=customer_a,
        user=UserFactory(),
        channel=Incident.Channel.WEB,
        state=Incident.State.RESOLVED,
        acknowledged_at=now,
        resolved_at=now,
    )
    make_active(customer_a, alice, staff)


def test_the_admin_index_shows_each_queue_with_its_count_and_link(
    staff_client: Client, staff: User, customer_a: Customer, alice: User, charlie: User
):
    _fill(customer_a, alice, staff, 2)
    ContractTransfer.objects.create(
        customer=customer_a,
        requested_by=alice,
        successor_name="B",
        successor_corporate_number=valid_corporate_number(5),
        successor_address="x",
        successor_contact_name="y",
        successor_contact_email="y@b.example.jp",
    )
    body = staff_client.get("/admin/").content.decode()
    assert _count(body, "applications") == 2
    assert _count(body, "incidents") == 2
    assert _count(body, "sharing_flags") == 2
    assert _count(body, "failed_notices") == 2
    assert _count(body, "cancellations") == 2
    assert _count(body, "units_to_return") == 2
    assert _count(body, "transfers") == 1
    assert _count(body, "revocation_queue") == 2
    assert _count(body, "service_ends") == 2
    for link in (
        "/admin/contracts/registrationapplication/?state__exact=submitted",
        "/admin/accounts/incident/?state__in=open,acknowledged",
        "/admin/accounts/sharingflag/?reviewed_at__isnull=True",
        "/admin/notices/notice/?state__exact=failed",
        "/admin/accounts/customer/?status__in=cancellation_scheduled,suspended&amp;cancellation_effective_at__isnull=False",
        "/admin/contracts/rental/?state__in=ending,ended",
        "/admin/contracts/contracttransfer/?state__exact=requested",
        "/admin/contracts/revocationqueueentry/",
        "/admin/contracts/serviceend/?state__exact=announced",
    ):
        assert f'href="{link}"' in body, link
        assert staff_client.get(html.unescape(link)).status_code == 200, link
    # Three charts, drawn in the page: no external asset, no inline style or script.
    start = body.index('id="staff-home"')
    home = body[start : body.index("</div>", start)]
    assert home.count("<svg") == 3
    assert (
        "style=" not in home
        and "<script" not in home
        and "http" not in home.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_the_home_is_computed_in_a_fixed_number_of_queries(
    staff: User, customer_a: Customer, alice: User, django_assert_num_queries
):
    _fill(customer_a, alice, staff, 1)
    with django_assert_num_queries(14):
        staff_home()
    _fill(customer_a, alice, staff, 3)
    with django_assert_num_queries(14):
        staff_home()


def test_the_charts_count_by_week(staff: User, customer_a: Customer, alice: User):
    from tests.factories import make_usage_contract

    with time_machine.travel(timezone.now() - timedelta(weeks=10), tick=False):
        make_usage_contract(customer_a)
        notice = notice_create(
            customer=customer_a, kind=Notice.Kind.TERMS_CHANGED, clause=Clause.ART15, period="x"
        )
        Notice.objects.filter(pk=notice.pk).update(state=Notice.State.SENT, sent_at=timezone.now())
    home = staff_home()
    charts = {c.key: c for c in home.charts}
    customers = [b.value for b in charts["customers"].bars]
    assert len(customers) == 26
    assert customers[-1] == 1 and customers[-12] == 0
    notices = [b.value for b in charts["notices"].bars]
    assert sum(notices) == 1 and notices[-11] == 1
    assert charts["rentals"].latest == 0


def test_customers_do_not_see_the_staff_home(alice_client: Client):
    response = alice_client.get("/admin/")
    assert response.status_code == 302


def test_a_suspended_companys_cancellation_due_this_week_is_in_the_queue(
    staff_client: Client, staff: User, customer_a: Customer, alice: User
):
    """Notice given, then suspended: the status says "suspended" while the notice runs, and
    the queue (and its list) counted only the status "cancellation scheduled"."""
    from contracts.services import cancellations, standing

    cancellations.cancellation_give(customer=customer_a, actor=alice)
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    suspended_only: Customer = CustomerFactory(status=Customer.Status.SUSPENDED)  # no notice
    body = staff_client.get("/admin/").content.decode()
    assert _count(body, "cancellations") == 1
    link = (
        "/admin/accounts/customer/"
        "?status__in=cancellation_scheduled,suspended&cancellation_effective_at__isnull=False"
    )
    listed = staff_client.get(link).content.decode()
    assert customer_a.name in listed
    assert suspended_only.name not in listed


def test_rental_requests_and_units_to_wipe_are_queues_of_the_home(
    staff_client: Client, staff: User, customer_a: Customer, alice: User
):
    """A customer's request waits for staff to assign units, and a returned unit's SD card or
    NAS waits to be wiped (Art. 10(7)): both are work for staff, and the home showed neither."""
    make_request(customer_a, alice)
    make_request(customer_a, alice)
    rental = make_active(customer_a, alice, staff)
    rental_operations.rental_end(rental=rental, actor=staff)
    rental_operations.rental_unit_return(assignment=rental.assignments.get(), actor=staff)
    body = staff_client.get("/admin/").content.decode()
    assert _count(body, "rental_requests") == 2
    assert _count(body, "units_to_wipe") == 1
    for link in (
        "/admin/contracts/rental/?state__exact=requested",
        "/admin/cameras/unit/?state__exact=returned",
    ):
        assert f'href="{link}"' in body, link
        assert staff_client.get(link).status_code == 200, link


def test_a_queue_links_only_to_a_list_the_staff_member_may_open(
    reviewer: User, customer_a: Customer
):
    """A reviewer (group ``reviewers`` alone) sees every count, but only links to lists the
    admin lets them into: the incidents, rentals or notices queues sent them to a 403."""
    from tests.conftest import _client_for

    Incident.objects.create(customer=customer_a, user=UserFactory(), channel=Incident.Channel.WEB)
    client = _client_for(reviewer)
    body = client.get("/admin/").content.decode()
    assert _count(body, "incidents") == 1
    start = body.index('id="staff-home"')
    home = body[start : body.index("</table>", start)]
    links = re.findall(r'href="([^"]+)"', home)
    assert "/admin/contracts/registrationapplication/?state__exact=submitted" in links
    assert not any(link.startswith("/admin/accounts/incident/") for link in links)
    for link in links:
        assert client.get(html.unescape(link)).status_code == 200, link
