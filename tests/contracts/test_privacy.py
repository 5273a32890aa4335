"""Personal information (Art. 11): the privacy page, the owner's archive of everything the
portal holds about the company, and the removal of personal data after the retention period."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditEntry, Customer, NetworkSighting, User
from contracts.models import PersonalDataErasure, RegistrationApplication, Rental
from contracts.services.privacy import personal_data_erase_due
from tests.contracts.rental_helpers import make_active
from tests.factories import make_video_record

pytestmark = pytest.mark.django_db


def _sighting(user: User, ip: str) -> None:
    NetworkSighting.objects.create(
        user=user,
        network=ip + "/24",
        ip_address=ip,
        user_agent="Mozilla/5.0 Test",
        source=NetworkSighting.Source.LOGIN,
    )


def _archive(client: Client) -> dict[str, bytes]:
    response = client.post("/account/personal-data/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_privacy_page_is_public_and_linked_from_every_footer_and_sign_up(
    client: Client, alice_client: Client
):
    page = client.get("/privacy/")
    assert page.status_code == 200
    body = page.content.decode()
    for word in ("IP", "メールアドレス", "ブラウザ", "ネットワーク", "法人番号"):
        assert word in body, word
    client.cookies.load({"django_language": "en"})
    english = client.get("/privacy/").content.decode()
    for word in ("IP addresses", "Browser strings", "Sign-in networks", "How long"):
        assert word in english, word
    assert 'href="/privacy/"' in client.get("/accounts/signup/").content.decode()
    assert 'data-testid="signup-privacy"' in client.get("/accounts/signup/").content.decode()
    for url in ("/", "/terms/", "/video/"):
        c = alice_client if url == "/video/" else client
        assert 'href="/privacy/"' in c.get(url).content.decode(), url


def test_the_owner_downloads_everything_about_the_company_and_nothing_else(
    alice_client: Client,
    alice: User,
    bob: User,
    charlie: User,
    staff: User,
    customer_a: Customer,
    customer_b: Customer,
):
    rental_a = make_active(customer_a, alice, staff)
    rental_b = make_active(customer_b, charlie, staff)
    record_a = make_video_record(rental_a)
    record_b = make_video_record(rental_b)
    _sighting(alice, "203.0.113.7")
    _sighting(bob, "203.0.113.8")
    _sighting(charlie, "198.51.100.9")
    audit_record(action="test.alice", actor=alice, customer=customer_a)
    audit_record(action="test.charlie", actor=charlie, customer=customer_b)

    files = _archive(alice_client)
    assert "data.json" in files and "csv/users.csv" in files and "csv/video_records.csv" in files
    data = json.loads(files["data.json"])
    tables = data["tables"]
    assert data["customer_id"] == customer_a.pk
    assert [c["id"] for c in tables["customer"]] == [customer_a.pk]
    assert {u["email"] for u in tables["users"]} == {alice.email, bob.email}
    assert {s["ip_address"] for s in tables["sign_in_networks"]} == {"203.0.113.7", "203.0.113.8"}
    assert [r["id"] for r in tables["rentals"]] == [rental_a.pk]
    assert [r["id"] for r in tables["video_records"]] == [record_a.pk]
    assert {e["action"] for e in tables["audit_log"]} >= {"test.alice"}
    # Never a secret.
    assert all("password" not in u for u in tables["users"])
    # Nothing of the other company anywhere in the archive.
    everything = b"".join(files.values()).decode("utf-8")
    for foreign in (charlie.email, customer_b.name, "198.51.100.9", "test.charlie"):
        assert foreign not in everything, foreign
    assert record_b.pk not in [r["id"] for r in tables["video_records"]]
    rows = list(csv.DictReader(io.StringIO(files["csv/users.csv"].decode().lstrip("\ufeff"))))
    assert {r["email"] for r in rows} == {alice.email, bob.email}
    assert AuditEntry.objects.filter(
        action="contracts.personal_data.exported", customer=customer_a, clause="art11"
    ).exists()


def test_only_the_owner_may_download_and_the_other_company_gets_its_own(
    bob_client: Client, charlie_client: Client, alice: User, charlie: User
):
    assert 'href="/account/personal-data/"' in charlie_client.get("/account/").content.decode()
    assert 'href="/account/personal-data/"' not in bob_client.get("/account/").content.decode()
    assert bob_client.post("/account/personal-data/download").status_code == 403
    assert bob_client.get("/account/personal-data/").status_code == 403
    files = _archive(charlie_client)
    everything = b"".join(files.values()).decode("utf-8")
    assert charlie.email in everything and alice.email not in everything


@override_settings(PERSONAL_DATA_RETENTION_DAYS=30)
def test_the_retention_job_removes_personal_data_once_and_records_it(
    alice: User, bob: User, charlie: User, staff: User, customer_a: Customer, customer_b: Customer
):
    rental: Rental = make_active(customer_a, alice, staff)
    make_video_record(rental)
    _sighting(alice, "203.0.113.7")
    _sighting(charlie, "198.51.100.9")
    audit_record(action="test.alice", actor=alice, customer=customer_a)
    ended = timezone.now() - timedelta(days=31)
    Customer.objects.filter(pk=customer_a.pk).update(
        status=Customer.Status.CANCELLED, status_changed_at=ended
    )
    # Ended too recently: kept.
    Customer.objects.filter(pk=customer_b.pk).update(
        status=Customer.Status.REVOKED, status_changed_at=timezone.now() - timedelta(days=5)
    )

    assert personal_data_erase_due() == 1
    alice.refresh_from_db()
    assert alice.email.endswith("@erased.invalid") and alice.full_name == "" and not alice.is_active
    assert not alice.has_usable_password()
    assert not NetworkSighting.objects.filter(user=alice).exists()
    assert NetworkSighting.objects.filter(user=charlie).exists()
    assert not AuditEntry.objects.filter(customer=customer_a, ip_address__isnull=False).exists()
    assert not AuditEntry.objects.filter(actor_label=alice.email).exists()
    application = RegistrationApplication.objects.filter(customer=customer_a).first()
    assert application is None or application.contact_email == ""
    erasure = PersonalDataErasure.objects.get()
    assert erasure.customer == customer_a and erasure.retention_days == 30
    assert erasure.counts["users"] == 2 and erasure.counts["sign_in_networks"] == 1
    assert erasure.ended_at == ended
    charlie.refresh_from_db()
    assert charlie.email == "charlie@b.example.jp"
    # The contract and rentals stay (company data, books).
    assert Rental.objects.filter(customer=customer_a).count() == 1

    # Idempotent: again, and from the command, nothing more happens.
    assert personal_data_erase_due() == 0
    out = io.StringIO()
    call_command("erase_personal_data", stdout=out)
    assert "for 0 customer(s)" in out.getvalue()
    assert PersonalDataErasure.objects.count() == 1
    assert AuditEntry.objects.filter(action="contracts.personal_data.erased").count() == 1

    # When B's retention period has passed too, the job takes it.
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        call_command("erase_personal_data", stdout=io.StringIO())
    assert PersonalDataErasure.objects.count() == 2


def test_the_job_is_scheduled_nightly():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["contracts-personal-data-erase"]
    assert entry["task"] == "contracts.tasks.personal_data_erase"
