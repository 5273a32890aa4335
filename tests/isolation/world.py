"""Two fully built customers for the isolation sweep: A (alice owns it, bob is a member) and B
(charlie owns it, dave is a member), each with one object of every kind a URL can name,
built through the services where a person's path goes through one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.sessions.backends.cached_db import SessionStore
from django.test import override_settings
from django.utils import timezone
from fido2.cose import ES256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)
from knox.models import AuthToken

from accounts.models import Customer, Membership, User
from cameras.models import Product
from contracts.models import (
    Charge,
    ContractTransfer,
    Payment,
    RegistrationApplication,
    Rental,
    RentalUnit,
    VideoDeletionRecord,
    VideoRecord,
)
from contracts.services.cancellations import cancellation_give
from contracts.services.inactivity import inactivity_token
from contracts.services.transfers import TransferRequestData, transfer_request
from notices.models import Notice
from notices.services import notice_create
from security.services.credentials import compromise_token_make
from security.services.invitations import invitation_create
from tests.conftest import accept_current_terms
from tests.contracts.conftest import make_submitted
from tests.contracts.rental_helpers import make_active, make_charge_and_payment
from tests.factories import (
    STAFF_TOTP_SECRET,
    CustomerFactory,
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    make_usage_contract,
    make_video_record,
    valid_corporate_number,
)
from tests.isolation.support import open_sessions


@dataclass
class Tenant:
    """A customer with one object of every kind."""

    customer: Customer
    owner: User
    member: User
    member_membership: Membership
    application: RegistrationApplication
    invitation_pk: int
    invitation_email: str
    invitation_token: str
    rental: Rental
    rental_unit: RentalUnit
    charge: Charge
    payment: Payment
    deletion_record: VideoDeletionRecord
    video_record: VideoRecord
    notice: Notice
    token_key: str
    user_session: UserSession
    webauthn: Authenticator
    email_key: str
    reset_uidb36: str
    reset_key: str
    compromise_token: str
    inactivity_token: str
    # B's request to transfer its contract (Art. 17); A has none.
    transfer: ContractTransfer | None


@dataclass
class World:
    a: Tenant
    b: Tenant
    staff: User
    product: Product
    # Signed up and applied; the application is not approved yet (Art. 4).
    applicant: User


def _webauthn_credential(user: User) -> dict[str, object]:
    """A security key's registration as allauth stores it (attestation "none")."""
    key = ES256.from_cryptography_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    credential_id = f"key-of-{user.pk}".encode()
    data = AuthenticatorData.create(
        hashlib.sha256(b"localhost").digest(),
        AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT,
        0,
        AttestedCredentialData.create(b"\0" * 16, credential_id, key),
    )
    response = RegistrationResponse(
        raw_id=credential_id,
        response=AuthenticatorAttestationResponse(
            client_data=CollectedClientData.create(
                type="webauthn.create", challenge=b"0" * 16, origin="http://localhost"
            ),
            attestation_object=AttestationObject.create("none", data, {}),
        ),
    )
    return json.loads(json.dumps(dict(response)))


def _tenant(name: str, owner_email: str, member_email: str, staff: User, n: int) -> Tenant:
    # The company requires two-factor authentication (Art. 6(1)): the sweep runs the whole
    # policy. Owners have a security key (below), members a TOTP app.
    customer = CustomerFactory(
        name=name, corporate_number=valid_corporate_number(770000 + n), mfa_required=True
    )
    owner = UserFactory(email=owner_email)
    MembershipFactory(user=owner, customer=customer, role=Membership.Role.OWNER)
    member = UserFactory(email=member_email)
    member_membership = MembershipFactory(user=member, customer=customer, role="member")
    for person in (owner, member):
        accept_current_terms(person)
    TOTP.activate(member, STAFF_TOTP_SECRET)
    contract = make_usage_contract(customer, approver=staff)
    rental = make_active(customer, owner, staff, site_name=f"{name}の現場")
    rental_unit = RentalUnit.objects.filter(rental=rental).get()
    charge, payment = make_charge_and_payment(customer, rental)
    deletion = VideoDeletionRecord.objects.create(
        customer=customer,
        rental=rental,
        unit=rental_unit.unit,
        storage="sd_card",
        clause="art10.7",
    )
    invitation, invitation_token = invitation_create(
        customer=customer, email=f"invited-{n}@example.jp", actor=owner
    )
    notice = notice_create(
        customer=customer, kind="registration_approved", clause="art4.3", subject=customer
    )
    token, _secret = AuthToken.objects.create(user=owner)
    # A session of the owner's, as allauth.usersessions lists it.
    session = SessionStore()
    session["_auth_user_id"] = str(owner.pk)
    session.create()
    user_session = UserSession.objects.create(
        user=owner, session_key=session.session_key, ip="192.0.2.20", user_agent="Firefox"
    )
    webauthn = Authenticator.objects.create(
        user=owner,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": f"key of {owner.email}", "credential": _webauthn_credential(owner)},
    )
    customer.inactivity_contacted_at = timezone.now()
    customer.save(update_fields=["inactivity_contacted_at"])
    return Tenant(
        customer=customer,
        owner=owner,
        member=member,
        member_membership=member_membership,
        application=contract.application,
        invitation_pk=invitation.pk,
        invitation_email=invitation.email,
        invitation_token=invitation_token,
        rental=rental,
        rental_unit=rental_unit,
        charge=charge,
        payment=payment,
        deletion_record=deletion,
        video_record=make_video_record(rental),
        notice=notice,
        token_key=token.token_key,
        user_session=user_session,
        webauthn=webauthn,
        email_key=EmailConfirmationHMAC(
            # A second address, not yet confirmed: its link is live.
            EmailAddress.objects.create(
                user=owner, email=f"second-{n}@example.jp", verified=False, primary=False
            )
        ).key,
        reset_uidb36=user_pk_to_url_str(owner),
        reset_key=default_token_generator.make_token(owner),
        compromise_token=compromise_token_make(owner),
        inactivity_token=inactivity_token(customer),
        transfer=None,
    )


def build_world() -> World:
    # Nobody signs in with a password here (clients use force_login): a fast hasher keeps
    # the world's build to a fraction of a second per person.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        return _build_world()


def _build_world() -> World:
    staff = StaffFactory(email="staff@cts.example.jp", is_superuser=True)
    a = _tenant("株式会社エー建設", "alice@a.example.jp", "bob@a.example.jp", staff, 1)
    b = _tenant("ビー土木株式会社", "charlie@b.example.jp", "dave@b.example.jp", staff, 2)
    # B has given notice of cancellation too: one more of its rows nobody else may touch.
    cancellation_give(customer=b.customer, actor=b.owner)
    b.transfer = transfer_request(
        customer=b.customer,
        user=b.owner,
        data=TransferRequestData(
            successor_name="株式会社継承",
            successor_corporate_number=valid_corporate_number(880002),
            successor_address="東京都港区1-1",
            successor_contact_name="継承 太郎",
            successor_contact_email="successor@example.jp",
        ),
    )
    applicant = UserFactory(email="applicant@kita.example.jp")
    make_submitted(applicant)
    open_sessions(a.owner, a.member, b.owner, applicant)
    # A password-reset key is bound to the last sign-in, which opening the sessions moved.
    for tenant in (a, b):
        tenant.reset_key = default_token_generator.make_token(tenant.owner)
    return World(a=a, b=b, staff=staff, product=ProductFactory(), applicant=applicant)


def markers(tenant: Tenant) -> list[str]:
    """Text that only ``tenant``'s own pages and answers may contain."""
    return [
        tenant.customer.name,
        tenant.customer.corporate_number,
        tenant.owner.email,
        tenant.member.email,
        tenant.rental.site_name,
        tenant.invitation_email,
    ]
