"""The customer's standing, decided by provider staff (Art. 12(1), (2), (5)): suspension on a
ground of Art. 12(1)(1)–(7) and its lifting, and revocation of the registration with its
consequences. Each is a single transition: the customer row is locked and the change audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import Customer, User
from notices.models import Notice
from notices.services import notice_create

from ..models import (
    Cancellation,
    Measure,
    ReturnChecklist,
    Revocation,
    Suspension,
)
from . import billing
from .lifecycle_common import (
    check_ground,
    end_access,
    lock_customer,
    open_return_checklists,
    rentals_end_counted,
    require_measure,
    set_status,
)
from .return_lists import return_list_context

S = Customer.Status


# --- suspension (Art. 12(1)) ------------------------------------------------------------------


@transaction.atomic
def customer_suspend(
    *,
    customer: Customer,
    actor: User,
    ground: str,
    note: str,
    request: HttpRequest | None = None,
) -> Suspension:
    """Suspends the customer's use of the service on a ground of Art. 12(1)(1)–(7), without
    prior notice. The ground brings every unpaid charge due at once (Art. 12(2)), and the
    notice states the total; fees of the running month are still charged in arrears, as the
    rentals go on. A scheduled cancellation keeps its date."""
    require_measure(actor, Measure.SUSPEND)
    check_ground(ground)
    locked = lock_customer(customer)
    if locked.status not in (S.ACTIVE, S.CANCELLATION_SCHEDULED):
        raise ValidationError(
            _("Only an active company can be suspended (it is %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_suspendable",
        )
    now = timezone.now()
    balance = billing.customer_balance_accelerate(customer=locked, actor=actor)
    suspension = Suspension(
        customer=locked,
        ground=ground,
        note=note,
        started_at=now,
        started_by=actor,
        balance_due=balance,
    )
    suspension.full_clean()
    suspension.save()
    set_status(locked, S.SUSPENDED, now)
    audit_record(
        action="contracts.customer.suspended",
        actor=actor,
        customer=locked,
        target=suspension,
        clause=Clause(ground),
        request=request,
        extra={"note": note, "balance_due": balance},
    )
    notice_create(
        customer=locked,
        kind=Notice.Kind.SUSPENSION,
        clause=Clause(ground),
        subject=suspension,
        context={"suspension": suspension, "lifted": False},
        actor=actor,
    )
    customer.refresh_from_db()
    return suspension


@transaction.atomic
def customer_unsuspend(
    *, customer: Customer, actor: User, note: str, request: HttpRequest | None = None
) -> Suspension:
    """Lifts the suspension: the customer returns to active, or to its scheduled
    cancellation if notice was given meanwhile."""
    require_measure(actor, Measure.SUSPEND)
    locked = lock_customer(customer)
    suspension = Suspension.objects.filter(customer=locked, lifted_at__isnull=True).first()
    if locked.status != S.SUSPENDED or suspension is None:
        raise ValidationError(_("This company is not suspended."), code="not_suspended")
    now = timezone.now()
    suspension.lifted_at = now
    suspension.lifted_by = actor
    suspension.lift_note = note
    suspension.full_clean()
    suspension.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    scheduled = locked.cancellation_effective_at is not None
    set_status(locked, S.CANCELLATION_SCHEDULED if scheduled else S.ACTIVE, now)
    audit_record(
        action="contracts.customer.unsuspended",
        actor=actor,
        customer=locked,
        target=suspension,
        clause=Clause.ART12_1,
        request=request,
        extra={"note": note},
    )
    notice_create(
        customer=locked,
        kind=Notice.Kind.SUSPENSION,
        clause=Clause.ART12_1,
        subject=suspension,
        period="lifted",
        context={"suspension": suspension, "lifted": True},
        actor=actor,
    )
    customer.refresh_from_db()
    return suspension


# --- revocation (Art. 12(1), (2), (5)) --------------------------------------------------------


@transaction.atomic
def customer_revoke(
    *,
    customer: Customer,
    actor: User,
    ground: str,
    note: str,
    request: HttpRequest | None = None,
) -> Revocation:
    """Revokes the registration on a ground of Art. 12(1)(1)–(7): access ends (sessions and
    API tokens), every rental ends, every unpaid charge falls due at once (Art. 12(2)) and
    the return checklist opens (Art. 12(5)). A scheduled cancellation is superseded."""
    require_measure(actor, Measure.REVOKE)
    check_ground(ground)
    locked = lock_customer(customer)
    if locked.status not in (S.ACTIVE, S.SUSPENDED, S.CANCELLATION_SCHEDULED):
        raise ValidationError(
            _("This company's registration cannot be revoked (it is %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_revocable",
        )
    now = timezone.now()
    Suspension.objects.filter(customer=locked, lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=actor, lift_note="Superseded by revocation."
    )
    Cancellation.objects.filter(customer=locked, state=Cancellation.State.SCHEDULED).update(
        state=Cancellation.State.WITHDRAWN,
        withdrawn_at=now,
        withdrawn_by=actor,
        note="Superseded by revocation.",
    )
    rentals_ended = rentals_end_counted(customer_ids=[locked.pk], actor=actor, clause=ground)[
        locked.pk
    ]
    # The fees run up to today are debts too (charged in arrears otherwise).
    billing.customer_charges_to_date(customer=locked)
    balance = billing.customer_balance_accelerate(customer=locked, actor=actor)
    revocation = Revocation(
        customer=locked,
        ground=ground,
        note=note,
        revoked_at=now,
        revoked_by=actor,
        balance_due=balance,
        rentals_ended=rentals_ended,
    )
    revocation.full_clean()
    revocation.save()
    locked.cancellation_effective_at = None
    # The inactivity contact ends with the registration: its link must no longer answer it.
    locked.inactivity_contacted_at = None
    locked.inactivity_escalated_at = None
    set_status(
        locked,
        S.REVOKED,
        now,
        "cancellation_effective_at",
        "inactivity_contacted_at",
        "inactivity_escalated_at",
    )
    end_access(customer_ids=[locked.pk], disable_logins=False)
    items = open_return_checklists(
        customers=[locked], reason=ReturnChecklist.Reason.REVOCATION, now=now
    ).get(locked.pk, [])
    audit_record(
        action="contracts.customer.revoked",
        actor=actor,
        customer=locked,
        target=revocation,
        clause=Clause(ground),
        request=request,
        extra={"note": note, "balance_due": balance, "rentals_ended": rentals_ended},
    )
    notice_create(
        customer=locked,
        kind=Notice.Kind.REVOCATION,
        clause=Clause(ground),
        subject=revocation,
        context={
            "revocation": revocation,
            **return_list_context(items, locked.language),
        },
        actor=actor,
    )
    customer.refresh_from_db()
    return revocation
