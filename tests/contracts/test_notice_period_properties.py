"""Properties of the notice-period arithmetic over generated dates and instants, across month
ends and leap years: calendar months (Art. 12(1)(5), three months without use), the 30 days
before the end of the service (Art. 8(2)) and the 7 days of a cancellation (Art. 12(3)),
counted in Asia/Tokyo.

Deterministic (derandomize, no example database): the same examples on every run."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Customer, User
from contracts.models import CANCELLATION_NOTICE, SERVICE_END_NOTICE
from contracts.services.cancellations import (
    cancellation_earliest,
    cancellation_earliest_date,
    cancellation_effective_for_date,
    cancellation_give,
)
from contracts.services.inactivity import inactivity_cutoff
from contracts.services.lifecycle_common import TOKYO, add_months, local_date, start_of_day
from contracts.services.service_events import service_end_validate

PROPERTY = settings(max_examples=150, derandomize=True, database=None, deadline=None)

# Around several leap years (2024, 2028, 2100 is not one, 2000 was).
DAYS = st.dates(min_value=date(1999, 1, 1), max_value=date(2101, 12, 31))
# Month ends and the days around them, where calendar arithmetic goes wrong.
MONTH_ENDS = st.builds(
    lambda year, month, back: date(year, month, calendar.monthrange(year, month)[1] - back),
    st.integers(min_value=1999, max_value=2101),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=3),
)
ANY_DAY = st.one_of(DAYS, MONTH_ENDS)
MONTHS = st.integers(min_value=-36, max_value=36)
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


# --- calendar months --------------------------------------------------------------------------


@PROPERTY
@given(day=ANY_DAY, months=MONTHS)
def test_adding_months_lands_in_the_right_month_on_the_same_day_or_that_months_last(
    day: date, months: int
) -> None:
    later = add_months(day, months)
    assert later.year * 12 + later.month == day.year * 12 + day.month + months
    last = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(day.day, last)


@PROPERTY
@given(first=ANY_DAY, second=ANY_DAY, months=MONTHS)
def test_adding_months_keeps_the_order_of_days(first: date, second: date, months: int) -> None:
    if first <= second:
        assert add_months(first, months) <= add_months(second, months)
    else:
        assert add_months(first, months) >= add_months(second, months)


@PROPERTY
@given(day=ANY_DAY)
def test_three_calendar_months_are_89_to_92_days(day: date) -> None:
    assert 89 <= (add_months(day, 3) - day).days <= 92


@PROPERTY
@given(day=ANY_DAY, months=st.integers(min_value=0, max_value=36))
def test_going_back_the_same_months_returns_to_the_day_or_before(day: date, months: int) -> None:
    # Back from a month end that was clipped (Nov 30 + 3 = Feb 28) lands on or before it.
    assert add_months(add_months(day, months), -months) <= day
    assert add_months(day, 0) == day


@PROPERTY
@given(last_use=INSTANTS, today=ANY_DAY)
def test_a_last_use_makes_a_company_inactive_exactly_when_three_months_have_passed(
    last_use: datetime, today: date
) -> None:
    """Art. 12(1)(5): inactive on ``today`` iff the last use was on a day D (in Tokyo) with
    D + 3 calendar months on or before today."""
    inactive = last_use < inactivity_cutoff(today)
    assert inactive == (add_months(local_date(last_use), 3) <= today)


@PROPERTY
@given(today=ANY_DAY)
def test_the_inactivity_cutoff_is_the_start_of_a_day_in_tokyo(today: date) -> None:
    cutoff = inactivity_cutoff(today)
    assert cutoff == start_of_day(local_date(cutoff))
    # The day before the cutoff is three months old; the cutoff's own day is not yet.
    assert add_months(local_date(cutoff) - timedelta(days=1), 3) <= today
    assert add_months(local_date(cutoff), 3) > today


# --- 30 days before the end of the service (Art. 8(2)) ---------------------------------------


@PROPERTY
@given(now=INSTANTS, seconds=st.integers(min_value=-86_400, max_value=86_400 * 60))
def test_a_service_end_is_refused_under_30_days_and_accepted_from_30(
    now: datetime, seconds: int
) -> None:
    effective_at = now + timedelta(seconds=seconds)
    if effective_at - now < SERVICE_END_NOTICE:
        with pytest.raises(ValidationError) as refusal:
            service_end_validate(effective_at=effective_at, now=now)
        assert refusal.value.code == "notice_too_short"
    else:
        service_end_validate(effective_at=effective_at, now=now)


@PROPERTY
@given(now=INSTANTS, micro=st.integers(min_value=1, max_value=10**6))
def test_the_30_day_boundary_is_exact(now: datetime, micro: int) -> None:
    service_end_validate(effective_at=now + timedelta(days=30), now=now)
    with pytest.raises(ValidationError):
        service_end_validate(effective_at=now + timedelta(days=30, microseconds=-micro), now=now)


# --- 7 days of a cancellation (Art. 12(3)) -----------------------------------------------------


@PROPERTY
@given(now=INSTANTS)
def test_a_cancellation_takes_effect_7_days_after_notice_at_the_earliest(now: datetime) -> None:
    assert cancellation_earliest(now) - now == CANCELLATION_NOTICE == timedelta(days=7)


@PROPERTY
@given(now=INSTANTS)
def test_the_first_date_a_notice_may_name_ends_at_least_7_days_later(now: datetime) -> None:
    """A notice given at ``now`` names a date (in Tokyo) and takes effect at the end of that
    day: the earliest date offered is at least 7 days away and the day before is not."""
    earliest = cancellation_earliest_date(now)
    assert cancellation_effective_for_date(earliest) - now >= timedelta(days=7)
    assert cancellation_effective_for_date(earliest - timedelta(days=1)) - now < timedelta(days=7)
    assert earliest >= local_date(now) + timedelta(days=7)


@PROPERTY
@given(day=ANY_DAY)
def test_a_cancellation_on_a_date_takes_effect_at_midnight_ending_it_in_tokyo(day: date) -> None:
    effective = cancellation_effective_for_date(day)
    local = effective.astimezone(TOKYO)
    assert (local.date(), local.hour, local.minute, local.second) == (
        day + timedelta(days=1),
        0,
        0,
        0,
    )
    assert local_date(effective - timedelta(microseconds=1)) == day


class _Undo(Exception):
    """Rolls one example's notice back, so that the next example starts from an active
    company (the test's own transaction stays open)."""


@pytest.mark.django_db
@settings(PROPERTY, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    seconds=st.one_of(
        st.integers(min_value=-86_400, max_value=86_400 * 14),
        # Around the boundary, to the second.
        st.integers(min_value=7 * 86_400 - 120, max_value=7 * 86_400 + 120),
    ),
)
def test_the_owners_notice_is_refused_under_7_days_and_accepted_from_7(
    alice: User, customer_a: Customer, now: datetime, seconds: int
) -> None:
    effective_at = now + timedelta(seconds=seconds)
    with time_machine.travel(now, tick=False):
        try:
            with transaction.atomic():
                try:
                    cancellation_give(customer=customer_a, actor=alice, effective_at=effective_at)
                except ValidationError as refusal:
                    assert refusal.code == "notice_too_short"
                    assert seconds < 7 * 86_400
                else:
                    assert seconds >= 7 * 86_400
                raise _Undo
        except _Undo:
            customer_a.refresh_from_db()
