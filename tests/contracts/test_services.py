"""The registration state machine (Art. 4): draft → submitted → approved | refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, Membership, User
from contracts.models import RegistrationApplication, UsageContract
from contracts.services import registration as services
from contracts.services import registration_review
from notices.models import Notice
from terms.models import Acceptance, TermsVersion
from tests.contracts.conftest import (
    GOOD_NUMBER,
    application_data,
    make_applicant,
    make_draft,
    make_submitted,
)
from tests.factories import valid_corporate_number

pytestmark = pytest.mark.django_db

State = RegistrationApplication.State


def approve(app: RegistrationApplication, actor: User) -> UsageContract:
    return registration_review.application_approve(application=app, actor=actor)


def refuse(app: RegistrationApplication, actor: User, **kw: Any) -> RegistrationApplication:
    kw.setdefault("grounds", ["2"])
    kw.setdefault("note", "法人番号と商号が一致しません。")
    kw.setdefault("message", "ご登録情報を確認できませんでした。")
    return registration_review.application_refuse(application=app, actor=actor, **kw)


# --- draft ---------------------------------------------------------------------------------


def test_it_creates_the_applicant_company_and_owner_on_the_first_draft(applicant: User) -> None:
    app = services.application_save_draft(user=applicant, data={"company_name": "株式会社北建設"})
    membership = Membership.objects.get(user=applicant)
    assert membership.role == Membership.Role.OWNER
    assert membership.customer == app.customer
    assert app.customer.status == Customer.Status.APPLICANT
    assert app.customer.name == "株式会社北建設"
    assert app.state == State.DRAFT
    assert app.missing_fields()  # a partial draft is fine


def test_it_updates_the_same_draft_and_normalizes_full_width_input(applicant: User) -> None:
    first = make_draft(applicant, corporate_number="", postal_code="")
    second = services.application_save_draft(
        user=applicant,
        data={
            "company_name": "株式会社北建設",
            "postal_code": "〒０６０－０００１",
            "corporate_number": "".join(chr(ord(c) + 0xFEE0) for c in GOOD_NUMBER),
            "phone": "０１１−１２３−４５６７",
            "company_name_kana": "ｶﾌﾞｼｷｶﾞｲｼｬｷﾀｹﾝｾﾂ",
        },
    )
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.postal_code == "060-0001"
    assert second.corporate_number == GOOD_NUMBER
    assert second.phone == "011-123-4567"
    assert second.company_name_kana == "カブシキガイシャキタケンセツ"
    assert RegistrationApplication.objects.count() == 1


def test_it_needs_a_company_name_even_for_a_draft(applicant: User) -> None:
    with pytest.raises(ValidationError) as exc:
        services.application_save_draft(user=applicant, data={"company_name": "  "})
    assert "company_name" in exc.value.message_dict
    assert not Customer.objects.exists()


def test_it_refuses_a_draft_from_a_member_who_is_not_the_owner(
    applicant: User, draft: RegistrationApplication
) -> None:
    member = make_applicant("member@kita.example.jp")
    Membership.objects.create(user=member, customer=draft.customer, role="member")
    with pytest.raises(PermissionDenied):
        services.application_save_draft(user=member, data=application_data())


def test_an_approved_company_cannot_apply_again(alice: User) -> None:
    with pytest.raises(ValidationError) as exc:
        services.application_save_draft(user=alice, data=application_data())
    assert exc.value.code == "already_registered"


def test_one_open_application_per_corporate_number(draft: RegistrationApplication) -> None:
    other = make_applicant("other@example.jp")
    with pytest.raises(ValidationError) as exc:
        make_draft(other)
    assert exc.value.error_dict["corporate_number"][0].code == "open_application_exists"
    # Nothing of the failed attempt is left behind.
    assert not Membership.objects.filter(user=other).exists()


def test_the_database_itself_refuses_a_second_open_application(
    draft: RegistrationApplication,
) -> None:
    other = make_applicant("other@example.jp")
    customer = Customer.objects.create(name="別会社", status="applicant")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationApplication.objects.create(
            applicant=other,
            customer=customer,
            company_name="別会社",
            corporate_number=draft.corporate_number,
        )


# --- submit --------------------------------------------------------------------------------


def test_submit_records_the_declaration_terms_and_audit(applicant: User) -> None:
    app = make_draft(applicant)
    version = TermsVersion.objects.get(document__slug="terms-of-use", label="2023-04-01")
    app = services.application_submit(
        application=app, user=applicant, declaration_accepted=True, accept_terms=[version]
    )
    assert app.state == State.SUBMITTED
    assert app.submitted_at is not None
    assert app.antisocial_declared_at is not None
    assert len(app.antisocial_declaration_sha256) == 64
    assert "反社会的勢力" in app.antisocial_declaration_text
    acceptance = Acceptance.objects.get(user=applicant, version=version)
    assert acceptance.method == Acceptance.Method.APPLICATION
    assert app.terms_accepted == [
        {
            "document": "terms-of-use",
            "label": "2023-04-01",
            "sha256": version.sha256,
            "accepted_at": acceptance.accepted_at.isoformat(),
        }
    ]
    entry = AuditEntry.objects.get(action="contracts.application.submitted")
    assert entry.clause == "art4.1"
    assert entry.actor == applicant


def test_submit_needs_every_required_field(applicant: User) -> None:
    app = services.application_save_draft(user=applicant, data={"company_name": "株式会社北建設"})
    with pytest.raises(ValidationError) as exc:
        services.application_submit(application=app, user=applicant, declaration_accepted=True)
    assert {"corporate_number", "postal_code", "phone", "intended_use"} <= set(
        exc.value.message_dict
    )
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_submit_needs_the_antisocial_forces_declaration(applicant: User) -> None:
    app = make_draft(applicant)
    with pytest.raises(ValidationError) as exc:
        services.application_submit(application=app, user=applicant, declaration_accepted=False)
    assert "declaration" in exc.value.message_dict


def test_submit_needs_the_terms_in_force_accepted(applicant: User) -> None:
    app = make_draft(applicant)
    with pytest.raises(ValidationError) as exc:
        services.application_submit(application=app, user=applicant, declaration_accepted=True)
    assert "terms" in exc.value.message_dict
    assert not Acceptance.objects.filter(user=applicant).exists()


def test_submit_is_final(submitted: RegistrationApplication, applicant: User) -> None:
    with pytest.raises(ValidationError):
        services.application_submit(
            application=submitted, user=applicant, declaration_accepted=True
        )
    with pytest.raises(ValidationError) as exc:
        services.application_save_draft(user=applicant, data=application_data(address="変更"))
    assert exc.value.code == "not_draft"
    submitted.refresh_from_db()
    assert submitted.address != "変更"


def test_only_the_applicant_can_submit(draft: RegistrationApplication, alice: User) -> None:
    with pytest.raises(PermissionDenied):
        services.application_submit(application=draft, user=alice, declaration_accepted=True)


# --- decisions -----------------------------------------------------------------------------


def test_approval_activates_and_forms_the_contract_at_the_notice_time(
    submitted: RegistrationApplication,
    reviewer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        contract = approve(submitted, reviewer)
    submitted.refresh_from_db()
    customer = Customer.objects.get(pk=submitted.customer_id)
    assert submitted.state == State.APPROVED
    assert submitted.decided_by == reviewer
    assert customer.status == Customer.Status.ACTIVE
    assert customer.corporate_number == GOOD_NUMBER
    assert customer.postal_code == "060-0001"
    assert customer.phone == "011-123-4567"
    notice = Notice.objects.get(kind="registration_approved")
    assert notice.customer == customer
    assert notice.clause == "art4.3"
    # Art. 4(3): the contract is formed by the approval notice, at its time.
    assert contract.formed_at == notice.created_at
    assert contract.approval_notice_id == notice.pk
    assert contract.terms_versions == submitted.terms_accepted
    assert contract.terms_versions[0]["document"] == "terms-of-use"
    audit = AuditEntry.objects.get(action="contracts.application.approved")
    assert (audit.clause, audit.actor, audit.customer) == ("art4.3", reviewer, customer)
    assert AuditEntry.objects.filter(
        action="contracts.usage_contract.formed", clause="art4.3"
    ).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["applicant@kita.example.jp"]
    assert "承認" in mail.outbox[0].subject
    assert "利用契約が成立" in mail.outbox[0].body


def test_refusal_records_grounds_note_notice_and_audit(
    submitted: RegistrationApplication,
    reviewer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        refuse(
            submitted,
            reviewer,
            grounds=["3", "1"],
            note="過去に登録を取り消されています。",
            message="今回はご登録を見送らせていただきます。",
            disclose_grounds=True,
        )
    submitted.refresh_from_db()
    assert submitted.state == State.REFUSED
    assert submitted.refusal_grounds == ["1", "3"]
    assert submitted.customer.status == Customer.Status.APPLICANT
    assert not UsageContract.objects.exists()
    notice = Notice.objects.get(kind="registration_refused")
    assert "第4条第2項第3号" in notice.body_text
    assert "過去に本サービスの利用の登録を取り消された者である場合" in notice.body_text
    assert "今回はご登録を見送らせていただきます。" in notice.body_text
    # The reviewer's internal note stays with the provider.
    assert "過去に登録を取り消されています。" not in notice.body_text + notice.body_html
    assert submitted.refusal_note == "過去に登録を取り消されています。"
    audit = AuditEntry.objects.get(action="contracts.application.refused")
    # Several grounds: the basis is Art. 4(2), and the grounds are listed with it.
    assert audit.clause == Clause.ART4_2
    assert audit.extra["grounds"] == ["1", "3"]
    assert len(mail.outbox) == 1
    assert "第4条第2項第1号" in mail.outbox[0].body


def test_a_refusal_names_no_ground_unless_staff_choose_to(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    refuse(
        submitted,
        reviewer,
        grounds=["4"],
        note="反社チェックで該当",
        message="総合的に判断いたしました。",
    )
    notice = Notice.objects.get(kind="registration_refused")
    for part in (notice.body_text, notice.body_html):
        assert "総合的に判断いたしました。" in part
        assert "第4条第2項第4号" not in part and "反社" not in part
    assert "第4条第2項" in notice.body_text  # the article the refusal rests on
    # 署名: the provider's name and contact address.
    assert "株式会社シーティーエス" in notice.body_text
    assert (
        "support@cts.example.jp" in notice.body_text
        and "support@cts.example.jp" in notice.body_html
    )


@pytest.mark.parametrize("message", ["", "   "])
def test_refusal_needs_a_message_to_the_applicant(
    submitted: RegistrationApplication, reviewer: User, message: str
) -> None:
    with pytest.raises(ValidationError):
        refuse(submitted, reviewer, message=message)
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED


@pytest.mark.parametrize(
    ("grounds", "note"), [([], "理由"), (["2"], ""), (["2"], "   "), (["9"], "理由")]
)
def test_refusal_needs_valid_grounds_and_a_note(
    submitted: RegistrationApplication, reviewer: User, grounds: list[str], note: str
) -> None:
    with pytest.raises(ValidationError):
        refuse(submitted, reviewer, grounds=grounds, note=note)
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED
    assert not Notice.objects.exists()


def test_a_refusal_on_one_ground_rests_on_that_item_of_art_4_2(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    refuse(submitted, reviewer, grounds=["3"], note="過去に登録を取り消されています。")
    audit = AuditEntry.objects.get(action="contracts.application.refused")
    assert audit.clause == Clause.ART4_2_3


def test_the_database_refuses_a_refusal_without_grounds(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationApplication.objects.filter(pk=submitted.pk).update(
            state="refused", decided_by=reviewer, decided_at=submitted.submitted_at
        )


def _decide(kind: str, app: RegistrationApplication, actor: User) -> None:
    if kind == "approve":
        approve(app, actor)
    else:
        refuse(app, actor)


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_a_draft_cannot_be_decided(
    draft: RegistrationApplication, reviewer: User, decision: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        _decide(decision, draft, reviewer)
    assert exc.value.code == "not_submitted"


@pytest.mark.parametrize("first", ["approve", "refuse"])
@pytest.mark.parametrize("second", ["approve", "refuse"])
def test_a_decided_application_cannot_be_decided_again(
    submitted: RegistrationApplication, reviewer: User, first: str, second: str
) -> None:
    _decide(first, submitted, reviewer)
    with pytest.raises(ValidationError) as exc:
        _decide(second, submitted, reviewer)
    assert exc.value.code == "already_decided"
    assert Notice.objects.count() == 1
    assert (
        AuditEntry.objects.filter(action__startswith="contracts.application.")
        .exclude(action__in=["contracts.application.created", "contracts.application.submitted"])
        .count()
        == 1
    )


@pytest.mark.parametrize("first", ["approve", "refuse"])
def test_a_decided_application_cannot_be_submitted_or_edited(
    submitted: RegistrationApplication, reviewer: User, applicant: User, first: str
) -> None:
    _decide(first, submitted, reviewer)
    with pytest.raises(ValidationError):
        services.application_submit(
            application=submitted, user=applicant, declaration_accepted=True
        )
    if first == "approve":
        with pytest.raises(ValidationError):
            services.application_save_draft(user=applicant, data=application_data())


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_staff_outside_the_reviewers_group_cannot_decide(
    submitted: RegistrationApplication, viewer: User, alice: User, decision: str
) -> None:
    for actor in (viewer, alice):
        with pytest.raises(PermissionDenied):
            _decide(decision, submitted, actor)
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED


def test_a_non_staff_user_in_the_reviewers_group_cannot_decide(
    submitted: RegistrationApplication, alice: User, reviewers_group: Any
) -> None:
    alice.groups.add(reviewers_group)
    with pytest.raises(PermissionDenied):
        approve(submitted, alice)


def test_a_superuser_may_decide(submitted: RegistrationApplication, staff: User) -> None:
    approve(submitted, staff)
    submitted.refresh_from_db()
    assert submitted.state == State.APPROVED


def test_after_a_refusal_the_applicant_may_correct_and_apply_again(
    submitted: RegistrationApplication, reviewer: User, applicant: User
) -> None:
    refuse(submitted, reviewer)
    again = services.application_reopen(user=applicant)
    assert again.pk != submitted.pk
    assert again.state == State.DRAFT
    assert again.corporate_number == submitted.corporate_number
    assert again.customer_id == submitted.customer_id
    with pytest.raises(ValidationError):
        services.application_reopen(user=applicant)


def test_a_refused_corporate_number_is_free_for_a_new_application(
    submitted: RegistrationApplication, reviewer: User
) -> None:
    refuse(submitted, reviewer)
    other = make_applicant("other@example.jp")
    assert make_draft(other).corporate_number == submitted.corporate_number


def test_submitted_applications_of_different_numbers_coexist(applicant: User) -> None:
    make_submitted(applicant)
    other = make_applicant("other@example.jp")
    app = make_submitted(other, corporate_number=valid_corporate_number(777))
    assert app.state == State.SUBMITTED
