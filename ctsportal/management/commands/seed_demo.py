"""Demo data for `make run` and for trying the portal. Idempotent: running it again changes
nothing that is already there. The passwords are for demos only and printed on purpose."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Customer, Membership, User
from accounts.services import customer_create_with_owner
from contracts.demo import demo_usage_contract
from contracts.models import MEASURES_GROUP, REVIEWERS_GROUP, RegistrationApplication
from contracts.services.registration import application_save_draft, application_submit
from terms.models import Acceptance
from terms.services import acceptance_record_pending

DEMO_PASSWORD = "demo-pass-2026!"  # noqa: S105 (demo only, documented in README)
# The demo staff's authenticator-app secret (base32), printed for adding to an app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPCTSDEMO2"  # noqa: S105 (demo only)

STAFF = [
    ("admin@cts.example.jp", "CTS 管理者", True),
    ("reviewer@cts.example.jp", "CTS 審査担当", False),
]

CUSTOMERS: list[dict[str, Any]] = [
    {
        "fields": {
            "name": "株式会社山田建設",
            "name_kana": "カブシキガイシャヤマダケンセツ",
            "corporate_number": "1180301018771",
            "postal_code": "100-0005",
            "address": "東京都千代田区丸の内一丁目1番1号",
            "phone": "03-1234-5678",
            "status": Customer.Status.ACTIVE,
        },
        "owner": ("owner@yamada.example.jp", "山田 太郎"),
        "members": [("member@yamada.example.jp", "佐藤 花子")],
    },
    {
        "fields": {
            "name": "さくら土木株式会社",
            "name_kana": "サクラドボクカブシキガイシャ",
            "corporate_number": "7000012050002",
            "postal_code": "530-0001",
            "address": "大阪府大阪市北区梅田一丁目2番3号",
            "phone": "06-2345-6789",
            "status": Customer.Status.ACTIVE,
        },
        "owner": ("owner@sakura.example.jp", "桜井 一郎"),
        "members": [("member@sakura.example.jp", "鈴木 次郎")],
    },
]

APPLICANT = ("applicant@kita.example.jp", "北 三郎")
# The demo applicant's submitted application (Art. 4(1)), so staff have one to review.
APPLICANT_APPLICATION = {
    "company_name": "北日本重機株式会社",
    "company_name_kana": "キタニホンジュウキカブシキガイシャ",
    "corporate_number": "3430001012345",
    "representative_title": "代表取締役",
    "representative_name": "北 三郎",
    "postal_code": "060-0042",
    "address": "北海道札幌市中央区大通西五丁目8番地",
    "phone": "011-222-3333",
    "contact_name": "北 三郎",
    "contact_department": "工事部",
    "contact_email": "applicant@kita.example.jp",
    "billing_contact_name": "南 良子",
    "billing_department": "経理部",
    "billing_email": "keiri@kita.example.jp",
    "intended_use": "道内の造成現場3か所でネットワークカメラと"
    "バックホウカメラシステムを使用します。",
}


class Command(BaseCommand):
    help = "Creates demo staff, two approved customers and one applicant (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        reviewers, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
        # The migration made the group with its permissions; the demo staff take every
        # measure (Art. 8, 12) as well as deciding applications.
        measures, _ = Group.objects.get_or_create(name=MEASURES_GROUP)
        for email, name, superuser in STAFF:
            user = self._user(email, name, is_staff=True, is_superuser=superuser)
            user.groups.add(reviewers, measures)
            # Staff need two-factor authentication to use the admin (Art. 6).
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, DEMO_TOTP_SECRET)
        for spec in CUSTOMERS:
            owner = self._user(*spec["owner"])
            customer = Customer.objects.filter(name=spec["fields"]["name"]).first()
            if customer is None:
                customer = customer_create_with_owner(owner=owner, **spec["fields"])
            for email, name in spec["members"]:
                member = self._user(email, name)
                Membership.objects.get_or_create(
                    user=member, defaults={"customer": customer, "role": Membership.Role.MEMBER}
                )
        self._applicant()
        self._accept_terms()
        # The catalogue, units and a running rental for the first demo company.
        call_command("seed_catalogue", stdout=self.stdout)
        # Every demo company is active, so each has the usage contract approval forms.
        approver = User.objects.get(email=STAFF[0][0])
        for spec in CUSTOMERS:
            owner = User.objects.get(email=spec["owner"][0])
            customer = Customer.objects.get(name=spec["fields"]["name"])
            demo_usage_contract(customer=customer, owner=owner, staff=approver)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo-only sign-ins:"))
        for email, *_ in STAFF:
            self.stdout.write(f"  staff     {email}  /  {DEMO_PASSWORD}")
        self.stdout.write(
            f"  staff two-factor (TOTP) secret, demo only: {DEMO_TOTP_SECRET}\n"
            f"    otpauth://totp/CTS%20Portal:staff?secret={DEMO_TOTP_SECRET}&issuer=CTS%20Portal"
        )
        for spec in CUSTOMERS:
            self.stdout.write(f"  owner     {spec['owner'][0]}  /  {DEMO_PASSWORD}")
            for email, _name in spec["members"]:
                self.stdout.write(f"  member    {email}  /  {DEMO_PASSWORD}")
        self.stdout.write(f"  applicant {APPLICANT[0]}  /  {DEMO_PASSWORD}")

    def _accept_terms(self) -> None:
        """The demo companies' people accept the terms in force, so that they can sign in
        without the Art. 15 gate; only what is still pending is recorded (idempotent)."""
        for spec in CUSTOMERS:
            for email, _name in [spec["owner"], *spec["members"]]:
                acceptance_record_pending(
                    user=User.objects.get(email=email), method=Acceptance.Method.SIGNUP
                )

    def _applicant(self) -> None:
        user = self._user(*APPLICANT)
        if RegistrationApplication.objects.filter(applicant=user).exists():
            return
        draft = application_save_draft(user=user, data=APPLICANT_APPLICATION)
        acceptance_record_pending(user=user, method=Acceptance.Method.APPLICATION)
        application_submit(application=draft, user=user, declaration_accepted=True)

    def _user(self, email: str, name: str, **flags: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, **flags)
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
