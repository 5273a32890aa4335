"""factory_boy factories for the whole suite."""

import time
from typing import TYPE_CHECKING

import factory
from allauth.account.models import EmailAddress
from django.test import Client
from factory.django import DjangoModelFactory

from accounts.models import Customer, Membership, User
from accounts.validators import corporate_number_check_digit

if TYPE_CHECKING:
    from contracts.models import Rental, VideoRecord

TEST_PASSWORD = "correct horse battery staple 2026"
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


def valid_corporate_number(n: int) -> str:
    base = f"{n:012d}"
    return f"{corporate_number_check_digit(base)}{base}"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    full_name = factory.Faker("name", locale="ja_JP")

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: object) -> None:
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def mfa(obj: User, create: bool, extracted: bool | None, **kwargs: object) -> None:
        # Staff need two-factor authentication to use the admin; StaffFactory(mfa=False)
        # makes one without.
        if create and extracted is not False:
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(obj, STAFF_TOTP_SECRET)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"株式会社テスト建設{n}")
    name_kana = "カブシキガイシャテストケンセツ"
    corporate_number = factory.Sequence(lambda n: valid_corporate_number(100000000 + n))
    postal_code = "100-0001"
    address = "東京都千代田区千代田1-1"
    phone = "03-1234-5678"
    status = Customer.Status.ACTIVE


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    customer = factory.SubFactory(CustomerFactory)
    role = Membership.Role.MEMBER


def make_owner(*, email: str, customer: Customer | None = None, **customer_fields: object) -> User:
    """A user who owns a (new) customer."""
    customer = customer or CustomerFactory(**customer_fields)
    user = UserFactory(email=email)
    MembershipFactory(user=user, customer=customer, role=Membership.Role.OWNER)
    return user


def mark_reauthenticated(client: Client, user: User) -> None:
    """Records in the client's session that ``user`` entered the password again just now,
    as allauth's re-authentication page does (sensitive actions ask for it)."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def sign_in(
    email: str,
    password: str = TEST_PASSWORD,
    *,
    ip: str = "192.0.2.10",
    user_agent: str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
) -> Client:
    """A client signed in through allauth's real login form, from ``ip`` with
    ``user_agent``: a real session, tracked by allauth.usersessions."""
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    assert "_auth_user_id" in client.session
    return client


# --- Rentals (catalogue, units, usage contracts, rentals) -----------------------------------


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = "cameras.Product"
        skip_postgeneration_save = True

    category = "network_camera"
    model_code = factory.Sequence(lambda n: f"NC-{n:04d}")
    name_ja = factory.Sequence(lambda n: f"ネットワークカメラ {n}")
    name_en = factory.Sequence(lambda n: f"Network camera {n}")
    resolution = "1920x1080"
    connectivity = "lte"
    power = "solar_battery"
    recording = "cloud"
    monthly_fee_yen = 9800


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = "cameras.Unit"

    product = factory.SubFactory(ProductFactory)
    serial = factory.Sequence(lambda n: f"SN{n:06d}")


def make_usage_contract(customer: Customer, *, approver: User | None = None) -> object:
    """The usage contract of an approved registration (Art. 4(3)), written directly."""
    from django.utils import timezone

    from contracts.models import RegistrationApplication, UsageContract

    existing = UsageContract.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    owner = Membership.objects.filter(customer=customer).first()
    applicant = owner.user if owner else UserFactory()
    approver = approver or StaffFactory(mfa=False)
    now = timezone.now()
    application = RegistrationApplication.objects.create(
        applicant=applicant,
        customer=customer,
        state=RegistrationApplication.State.APPROVED,
        company_name=customer.name,
        submitted_at=now,
        antisocial_declared_at=now,
        antisocial_declaration_sha256="0" * 64,
        decided_at=now,
        decided_by=approver,
    )
    return UsageContract.objects.create(
        customer=customer,
        application=application,
        formed_at=now,
        approved_by=approver,
        terms_versions=[{"document": "terms-of-use", "label": "2023-04-01", "sha256": "0" * 64}],
    )


# --- Records (video data records, Art. 10) ---------------------------------------------------


def make_video_record(rental: "Rental", **overrides: object) -> "VideoRecord":
    """A held video data record of ``rental`` (a day of cloud recordings), written directly."""
    from datetime import timedelta

    from django.utils import timezone

    from contracts.models import VideoRecord

    start = timezone.now() - timedelta(days=2)
    values: dict[str, object] = {
        "customer_id": rental.customer_id,
        "rental": rental,
        "period_start": start,
        "period_end": start + timedelta(days=1),
        "storage": "cloud",
        "size_bytes": 12_000_000_000,
        "source": "staff",
    }
    values.update(overrides)
    return VideoRecord.objects.create(**values)


# --- polish: 氏名 and フリガナ asked at sign-up ----------------------------------------------

SIGNUP_NAMES = {
    "family_name": "山田",
    "given_name": "太郎",
    "family_name_kana": "ヤマダ",
    "given_name_kana": "タロウ",
}
