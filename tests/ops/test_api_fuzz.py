"""API fuzzing: schemathesis generates requests from the OpenAPI schema that the portal serves
(/api/schema/) and sends them in-process through the WSGI application, as a fully onboarded
company's owner with real rentals, units, charges, payments, notices, members and sessions.
Every built-in check runs on every response: no 5xx, only documented status codes, bodies
that match their schemas, the documented content type, invalid data refused, and an
operation that needs authentication refuses a request without it or with a bad token.

The seed is fixed and generation is deterministic, so a failure is reproduced by running
the test again. Operations that end the caller's own session or token run in a pass of their
own with a fresh credential for each example, so that the main pass keeps its token."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from knox.models import AuthToken
from schemathesis import Case, GenerationMode
from schemathesis.core.failures import FailureGroup

from accounts.current import person_confirmed_note
from accounts.models import Customer, Membership, User
from contracts.services import cancellations
from tests.contracts.rental_helpers import bulk_rentals, make_active
from tests.factories import (
    MembershipFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    make_video_record,
)

pytestmark = pytest.mark.django_db

SEED = 20261130

# Each operation gets MAX_EXAMPLES generated requests that fit the schema and as many that
# do not. (Hypothesis is driven here with each operation's strategy: schemathesis's own
# pytest loader, from_fixture, reads a node attribute that pytest 9.2 no longer has.)
MAX_EXAMPLES = 8


# Input that fits the schema but breaks a rule the schema cannot state is a 400 with the
# fields named: positive_data_acceptance allows 400 on these operations, and only on these.
RULES_BEYOND_THE_SCHEMA = {
    # The corporate number's check digit, postal code, phone and furigana (accounts.validators).
    "PUT /api/v1/application": "fields normalised and checked like the form's",
    "POST /api/v1/application/submit": "every field needed to submit, the pending terms",
    "POST /api/v1/cancellation": "Art. 12(3): takes effect at least 7 days after notice",
    "POST /api/v1/rentals": "a product of the catalogue; the backhoe machine and acknowledgement",
    "POST /api/v1/terms/accept": "the ids of pending versions, or all_pending",
    "POST /api/v1/members/invitations": "an address that may be invited",
    "POST /api/v1/video-records/import": "records of the company's own rentals",
}
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"deterministic": True},
        "checks": {"enabled": True},
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, 400]}},
            }
            for name in RULES_BEYOND_THE_SCHEMA
        ],
    }
)


# The operations that end the caller's own credentials: its sessions, its token, all of
# them on a report of stolen credentials (Art. 6(3)).
ENDS_OWN_CREDENTIALS = (
    ("POST", "/api/v1/account/compromised"),
    ("DELETE", "/api/v1/sessions"),
    ("DELETE", "/api/v1/sessions/{id}"),
    ("DELETE", "/api/v1/tokens/{token_key}"),
)


def _ends_own_credentials(operation: Any) -> bool:
    return (operation.method.upper(), operation.path) in ENDS_OWN_CREDENTIALS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Five people are made for each pass; Argon2 would take most of the setup's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """Alice owns an active company with real objects; charlie's company has its own, whose
    ids alice must get 404 for."""

    alice: User
    staff: User
    customer: Customer
    secret: str
    # Path parameter values of real objects, per parameter name and path.
    real: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def headers(self, secret: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Token {secret or self.secret}"}


def _token(user: User) -> str:
    _instance, secret = AuthToken.objects.create(user=user)
    # As if the person had just confirmed the password: sensitive writes are let through.
    person_confirmed_note(user.pk, time.time())
    return secret


def _signed_in_sessions(user: User, count: int) -> list[int]:
    """``count`` live sessions of ``user``, listed as allauth lists them."""
    from allauth.usersessions.models import UserSession

    for _ in range(count):
        client = Client()
        client.force_login(user)
        UserSession.objects.create(
            user=user,
            ip="192.0.2.10",
            session_key=client.session.session_key,
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        )
    return list(UserSession.objects.filter(user=user).values_list("pk", flat=True))


@pytest.fixture
def world(
    alice: User, bob: User, charlie: User, customer_a: Customer, customer_b: Customer
) -> World:
    from contracts.models import Charge, Payment, Rental, RentalUnit, VideoRecord
    from notices.models import Notice
    from terms.selectors import version_current_list

    staff = StaffFactory(email="fuzz-staff@cts.example.jp")
    customer, other = customer_a, customer_b
    for owner, company in ((alice, customer), (charlie, other)):
        make_active(company, owner, staff, product=ProductFactory())
        rentals = bulk_rentals(company, staff, 3)
        make_video_record(rentals[0])
    # An accessory: no connectivity, power or recording of its own (blank in the catalogue).
    ProductFactory(category="accessory", connectivity="", power="", recording="")
    # Notice given and withdrawn: two real notices in the ledger, and no notice pending.
    given = cancellations.cancellation_give(customer=customer, actor=alice)
    cancellations.cancellation_withdraw(cancellation=given, actor=alice)
    MembershipFactory(user=UserFactory(email="carol@a.example.jp"), customer=customer)
    sessions = _signed_in_sessions(alice, 2)
    other_sessions = _signed_in_sessions(charlie, 1)

    def ids(model: Any, **scope: Any) -> list[Any]:
        return list(model.objects.filter(**scope).values_list("pk", flat=True)[:5])

    both = {"customer__in": [customer, other]}
    real: dict[tuple[str, str], list[Any]] = {
        ("id", "/api/v1/rentals/{id}"): ids(Rental, **both),
        ("id", "/api/v1/units/{id}"): ids(RentalUnit, rental__customer__in=[customer, other]),
        ("id", "/api/v1/charges/{id}"): ids(Charge, **both),
        ("id", "/api/v1/payments/{id}"): ids(Payment, **both),
        ("id", "/api/v1/video-records/{id}"): ids(VideoRecord, **both),
        ("id", "/api/v1/notices/{id}"): ids(Notice, **both),
        ("id", "/api/v1/members/{id}"): ids(Membership, **both),
        ("id", "/api/v1/sessions/{id}"): sessions + other_sessions,
        ("id", "/api/v1/catalogue/products/{id}"): list(
            Rental.objects.values_list("product_id", flat=True)[:5]
        ),
    }
    versions = version_current_list()
    real[("slug", "/api/v1/terms/{slug}/versions/{label}")] = [v.document.slug for v in versions]
    real[("label", "/api/v1/terms/{slug}/versions/{label}")] = [v.label for v in versions]
    assert Notice.objects.filter(customer=customer).exists()
    assert all(real.values()), [key for key, values in real.items() if not values]
    return World(alice=alice, staff=staff, customer=customer, secret=_token(alice), real=real)


def _with_real_objects(case: Case, world: World, extra: dict[str, list[Any]] | None = None) -> None:
    """Most generated ids name nothing: a generated value of the right type is mapped,
    deterministically, to one of the real objects (alice's and charlie's) about two times in
    three, so that the operations read and change real rows and another company's rows
    answer 404. Values of the wrong type (negative cases) are sent as generated."""
    for name, value in list((case.path_parameters or {}).items()):
        choices = [*world.real.get((name, case.operation.path), []), *(extra or {}).get(name, [])]
        if not choices or type(value) is not type(choices[0]):
            continue
        index = zlib.crc32(str(value).encode()) % (len(choices) + len(choices) // 2 + 1)
        if index < len(choices):
            case.path_parameters[name] = choices[index]


@pytest.fixture(autouse=True)
def _connection_kept_between_requests() -> Iterator[None]:
    """Django closes the database connection at the start and end of each request; that
    would end this test's transaction. django.test.Client disconnects the same receiver
    for its requests; the WSGI app called here does not know it is under test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _load_schema() -> Any:
    """The schema as the portal serves it, loaded through the WSGI app and called through
    it: every request goes through the whole middleware stack, in this test's transaction."""
    return schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)


def _fuzz(
    send: Callable[[Case], object],
    *,
    where: Callable[[Any], bool] = lambda operation: True,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    max_examples: int = MAX_EXAMPLES,
) -> list[str]:
    """Sends ``max_examples`` generated cases per operation and mode; returns the failures
    (one per operation and mode, the first example hypothesis found). A filter that matches
    no operation fails: a pass over nothing would prove nothing."""
    failures: list[str] = []
    matched = 0
    for result in _load_schema().get_all_operations():
        operation = result.ok()
        if not where(operation):
            continue
        matched += 1
        for mode in modes:

            @hypothesis.settings(
                max_examples=max_examples,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(hypothesis.HealthCheck),
                # No shrinking: the first failing example is reported as it was sent.
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Case) -> None:
                send(case)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to make invalid: an operation without parameters or body.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, FailureGroup) as exc:  # every failure is reported together
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert matched, "no operation of the schema matched the filter"
    return failures


def test_every_operation_as_a_companys_owner(world: World) -> None:
    def send(case: Case) -> None:
        _with_real_objects(case, world)
        case.call_and_validate(headers=world.headers())

    failures = _fuzz(send, where=lambda operation: not _ends_own_credentials(operation))
    assert not failures, "\n\n".join(failures)


def test_what_ends_the_callers_own_credentials_with_a_fresh_credential_each_time(
    world: World,
) -> None:
    def send(case: Case) -> None:
        secret = _token(world.alice)
        token_key = AuthToken.objects.filter(user=world.alice).latest("created").token_key
        session = max(_signed_in_sessions(world.alice, 1))
        _with_real_objects(case, world, {"token_key": [token_key], "id": [session]})
        case.call_and_validate(headers=world.headers(secret))

    failures = _fuzz(send, where=_ends_own_credentials)
    assert not failures, "\n\n".join(failures)


# The camera platform's feed: a provider staff token posts the records it holds.
STAFF_ONLY = ("POST", "/api/v1/video-records/import")


def test_the_record_import_as_the_camera_platforms_staff_token(world: World) -> None:
    secret = _token(world.staff)

    def send(case: Case) -> None:
        case.call_and_validate(headers=world.headers(secret))

    failures = _fuzz(
        send, where=lambda operation: (operation.method.upper(), operation.path) == STAFF_ONLY
    )
    assert not failures, "\n\n".join(failures)


BAD_CREDENTIALS: list[Callable[[World], dict[str, str]]] = [
    lambda world: {},
    lambda world: {"Authorization": "Token " + "0" * 64},
    lambda world: {"Authorization": f"Token {world.secret[:-1]}x"},
    lambda world: {"Authorization": "Token"},
    lambda world: {"Authorization": f"Bearer {world.secret}"},
    lambda world: {"Cookie": "sessionid=forged"},
]


def test_every_operation_refuses_a_request_without_valid_credentials(world: World) -> None:
    """No credentials, a wrong or truncated token, another scheme, a forged session cookie:
    every operation that is not declared public answers 401 with the error shape; the public
    ones answer without credentials and refuse a bad token."""
    refused: set[str] = set()
    public: set[str] = set()

    def send(case: Case) -> None:
        label = case.operation.label
        # Whatever credentials the schema let hypothesis generate are replaced.
        case.headers = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() not in ("authorization", "cookie")
        }
        case.cookies = {}
        if {} in (case.operation.definition.raw.get("security") or []):
            # Open to everyone without credentials; a bad token is still refused.
            public.add(label)
            assert case.call(headers={}).status_code not in (401, 403), label
            assert case.call(headers=BAD_CREDENTIALS[1](world)).status_code == 401, label
            return
        for credentials in BAD_CREDENTIALS:
            response = case.call(headers=credentials(world))
            assert response.status_code == 401, (label, credentials(world), response.text)
            assert response.json()["code"] in ("not_authenticated", "authentication_failed")
        refused.add(label)

    failures = _fuzz(send, modes=(GenerationMode.POSITIVE,), max_examples=2)
    assert not failures, "\n\n".join(failures)
    every = {result.ok().label for result in _load_schema().get_all_operations()}
    assert refused == every - public
    assert public == {"GET /api/v1/terms", "GET /api/v1/terms/{slug}/versions/{label}"}
