"""Video data records (Art. 2(1), 10): import (command and API), the customer's page, list and
CSV export, the backup warning (Art. 10(4)(6)), moderation (Art. 7(2), 10(5)) and the
disclosure log (Art. 10(3))."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation

from accounts.models import AuditEntry, Customer, User
from contracts.models import (
    Rental,
    VideoDisclosure,
    VideoModeration,
    VideoRecord,
)
from contracts.services import moderation
from notices.models import Notice
from tests.conftest import viewing_staff_client
from tests.contracts.rental_helpers import make_active
from tests.factories import StaffFactory, make_video_record

pytestmark = pytest.mark.django_db

HEADER = "rental,unit_serial,period_start,period_end,storage,size_bytes,external_ref\n"


@pytest.fixture
def rental_a(customer_a: Customer, alice: User, staff: User) -> Rental:
    return make_active(customer_a, alice, staff)


@pytest.fixture
def rental_b(customer_b: Customer, charlie: User, staff: User) -> Rental:
    return make_active(customer_b, charlie, staff)


def _serial(rental: Rental) -> str:
    return rental.assignments.get().unit.serial


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


# --- Import ---------------------------------------------------------------------------------


def test_import_command_reads_a_good_csv(tmp_path: Path, rental_a: Rental, rental_b: Rental):
    path = _write(
        tmp_path,
        "records.csv",
        HEADER + f"{rental_a.pk},{_serial(rental_a)},2026-11-01T00:00:00+09:00,"
        "2026-11-02T00:00:00+09:00,cloud,5000000000,P-1\n"
        + f"{rental_b.pk},,2026-11-03T00:00:00+09:00,2026-11-04T00:00:00+09:00,sd_card,100,P-2\n",
    )
    out = io.StringIO()
    call_command("import_video_records", str(path), stdout=out)
    assert "2 video data record(s) imported" in out.getvalue()
    a = VideoRecord.objects.get(external_ref="P-1")
    assert a.customer_id == rental_a.customer_id
    assert a.unit is not None and a.unit.serial == _serial(rental_a)
    assert a.source == VideoRecord.Source.IMPORT and a.state == VideoRecord.State.HELD
    assert VideoRecord.objects.get(external_ref="P-2").customer_id == rental_b.customer_id
    assert AuditEntry.objects.filter(action="contracts.video_record.imported").count() == 2
    # Each customer's entry lists that customer's records, and only those.
    b = VideoRecord.objects.get(external_ref="P-2")
    for record in (a, b):
        entry = AuditEntry.objects.get(
            action="contracts.video_record.imported", customer_id=record.customer_id
        )
        assert entry.extra["records"] == [record.pk]


def test_import_command_reads_json(tmp_path: Path, rental_a: Rental):
    rows = [
        {
            "rental": rental_a.pk,
            "period_start": "2026-11-01T00:00:00Z",
            "period_end": "2026-11-01T12:00:00Z",
            "storage": "nas",
            "size_bytes": 42,
        }
    ]
    path = _write(tmp_path, "records.json", json.dumps({"records": rows}))
    call_command("import_video_records", str(path), stdout=io.StringIO())
    assert VideoRecord.objects.get().storage == "nas"


def test_a_bad_row_refuses_the_whole_file_with_line_numbers(
    tmp_path: Path, rental_a: Rental, rental_b: Rental
):
    good = f"{rental_a.pk},,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,cloud,10,R-1\n"
    path = _write(
        tmp_path,
        "bad.csv",
        HEADER
        + good
        + "999999,,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,cloud,10,\n"
        + f"{rental_a.pk},NOPE,2026-11-02T00:00:00Z,2026-11-01T00:00:00Z,tape,-5,\n"
        + f"{rental_a.pk},,2026-11-01 00:00,2026-11-02T00:00:00Z,cloud,10,\n"
        + f"{rental_a.pk},,2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,cloud,10,R-1\n"
        + f"{rental_b.pk},{_serial(rental_a)},2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,nas,1,\n",
    )
    with pytest.raises(CommandError) as excinfo, translation.override("en"):
        call_command("import_video_records", str(path), stdout=io.StringIO())
    message = str(excinfo.value)
    assert "Nothing was imported" in message
    assert "line 2:" not in message
    assert "line 3: no rental 999999" in message
    assert "line 4:" in message and "unit NOPE" in message and "storage must be" in message
    assert "size_bytes" in message
    assert "line 5:" in message and "period_start is not an ISO 8601" in message
    assert "line 6: external_ref repeats line 2" in message
    assert "line 7:" in message and "never assigned" in message
    assert not VideoRecord.objects.exists()


def test_a_reference_already_imported_is_refused(tmp_path: Path, rental_a: Rental):
    make_video_record(rental_a, external_ref="DUP")
    path = _write(
        tmp_path,
        "again.csv",
        HEADER + f"{rental_a.pk},,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,cloud,10,DUP\n",
    )
    with pytest.raises(CommandError, match="line 2"), translation.override("en"):
        call_command("import_video_records", str(path), stdout=io.StringIO())
    assert VideoRecord.objects.count() == 1


def test_the_platform_posts_records_with_a_staff_login(staff_client: Client, rental_a: Rental):
    rows = {
        "records": [
            {
                "rental": rental_a.pk,
                "unit_serial": _serial(rental_a),
                "period_start": "2026-11-01T00:00:00Z",
                "period_end": "2026-11-02T00:00:00Z",
                "storage": "cloud",
                "size_bytes": 7,
            }
        ]
    }
    response = staff_client.post(
        "/api/v1/video-records/import", rows, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert VideoRecord.objects.get().source == VideoRecord.Source.API
    bad = staff_client.post(
        "/api/v1/video-records/import",
        {"records": [{"rental": rental_a.pk}]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert "line 1" in json.dumps(bad.json(), ensure_ascii=False)
    assert VideoRecord.objects.count() == 1


def test_a_customer_cannot_post_records(alice_client: Client, rental_a: Rental):
    response = alice_client.post(
        "/api/v1/video-records/import",
        {"records": [{"rental": rental_a.pk}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not VideoRecord.objects.exists()


# --- The customer's records, export and warning ---------------------------------------------


def test_customers_see_and_export_only_their_own_records(
    alice_client: Client, charlie_client: Client, rental_a: Rental, rental_b: Rental
):
    mine = make_video_record(rental_a, external_ref="A-REC")
    theirs = make_video_record(rental_b, external_ref="B-REC", storage="nas")
    page = alice_client.get("/video/").content.decode()
    assert f'data-testid="video-record-{mine.pk}"' in page
    assert f'data-testid="video-record-{theirs.pk}"' not in page

    response = alice_client.get("/video/records.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert [int(r["id"]) for r in rows] == [mine.pk]
    assert rows[0]["storage"] == "cloud" and rows[0]["site"] == rental_a.site_name

    api = alice_client.get("/api/v1/video-records").json()
    assert [r["id"] for r in api["results"]] == [mine.pk]
    # Cross-tenant: another company's record is a 404, never the record.
    assert alice_client.get(f"/api/v1/video-records/{theirs.pk}").status_code == 404
    assert charlie_client.get(f"/api/v1/video-records/{mine.pk}").status_code == 404
    assert charlie_client.get(f"/api/v1/video-records/{theirs.pk}").status_code == 200
    charlie_csv = charlie_client.get("/video/records.csv").content.decode()
    assert str(rental_a.site_name) not in charlie_csv or "A-REC" not in charlie_csv
    assert f"{theirs.pk}," in charlie_csv and f"\n{mine.pk}," not in charlie_csv


def test_the_list_page_takes_a_fixed_number_of_queries(
    alice_client: Client, rental_a: Rental, django_assert_max_num_queries
):
    for _ in range(3):
        make_video_record(rental_a)
    alice_client.get("/video/")
    with django_assert_max_num_queries(20) as few:
        alice_client.get("/video/")
    # Counted now: the captured list is a window on the query log, which a request resets.
    few_queries = len(few.captured_queries)
    for _ in range(10):
        make_video_record(rental_a)
    alice_client.get("/video/")  # the data changed: the person is read again once
    with django_assert_max_num_queries(few_queries):
        alice_client.get("/video/")


def test_the_backup_warning_shows_before_a_cancellation_takes_effect(
    alice_client: Client, customer_a: Customer, rental_a: Rental
):
    make_video_record(rental_a)
    assert 'data-testid="video-backup-warning"' not in alice_client.get("/video/").content.decode()
    effective = timezone.now() + timedelta(days=7)
    Customer.objects.filter(pk=customer_a.pk).update(
        status=Customer.Status.CANCELLATION_SCHEDULED, cancellation_effective_at=effective
    )
    body = alice_client.get("/video/").content.decode()
    assert 'data-testid="video-backup-warning"' in body
    assert "/video/records.csv" in body


def test_the_backup_warning_shows_to_a_suspended_company_whose_notice_runs(
    alice_client: Client, alice: User, customer_a: Customer, rental_a: Rental, staff: User
):
    """Notice given, then suspended: the status says "suspended", the notice still runs and
    the video data is still deleted on its date (Art. 10(6)). The warning was not shown."""
    from accounts.clauses import Clause
    from contracts.services import cancellations, standing

    make_video_record(rental_a)
    cancellations.cancellation_give(customer=customer_a, actor=alice)
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    body = alice_client.get("/video/").content.decode()
    assert 'data-testid="video-backup-warning"' in body
    # Suspended without a notice: nothing is deleted on a date, no warning.
    standing.customer_unsuspend(customer=customer_a, actor=staff, note="x")
    cancellations.cancellation_withdraw(
        cancellation=cancellations.cancellation_current(customer=customer_a), actor=alice
    )
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    assert 'data-testid="video-backup-warning"' not in alice_client.get("/video/").content.decode()


# --- Moderation (Art. 7(2), 10(5)) ----------------------------------------------------------


def test_the_moderation_service_refuses_staff_without_the_permission(rental_a: Rental):
    record = make_video_record(rental_a)
    with pytest.raises(PermissionDenied):
        moderation.video_record_moderate(
            record=record,
            action=VideoModeration.Action.DELETE,
            prohibited_item=5,
            note="x",
            actor=StaffFactory(email="clerk@cts.example.jp"),
        )
    record.refresh_from_db()
    assert record.state == VideoRecord.State.HELD
    assert not VideoModeration.objects.exists()


@pytest.mark.parametrize("action", ["hide_selected", "delete_selected_records"])
def test_staff_who_may_only_view_records_cannot_moderate_them(rental_a: Rental, action: str):
    record = make_video_record(rental_a)
    client = viewing_staff_client(VideoRecord)
    changelist = "/admin/contracts/videorecord/"
    assert f'value="{action}"' not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {
            "action": action,
            ACTION_CHECKBOX_NAME: [record.pk],
            "apply": "1",
            "prohibited_item": "5",
            "note": "x",
        },
    )
    record.refresh_from_db()
    assert record.state == VideoRecord.State.HELD
    assert not VideoModeration.objects.exists()


def test_staff_hide_then_delete_a_record_citing_the_item(
    staff_client: Client, alice_client: Client, rental_a: Rental
):
    record = make_video_record(rental_a)
    changelist = "/admin/contracts/videorecord/"
    form = staff_client.post(
        changelist, {"action": "hide_selected", ACTION_CHECKBOX_NAME: [record.pk]}
    )
    assert form.status_code == 200 and "prohibited_item" in form.content.decode()
    staff_client.post(
        changelist,
        {
            "action": "hide_selected",
            ACTION_CHECKBOX_NAME: [record.pk],
            "apply": "1",
            "prohibited_item": "5",
            "note": "Obscene content in the 14:00 recording.",
        },
    )
    record.refresh_from_db()
    assert record.state == VideoRecord.State.HIDDEN
    staff_client.post(
        changelist,
        {
            "action": "delete_selected_records",
            ACTION_CHECKBOX_NAME: [record.pk],
            "apply": "1",
            "prohibited_item": "3",
            "note": "Confirmed: third party's portrait rights.",
        },
    )
    record.refresh_from_db()
    assert record.state == VideoRecord.State.DELETED
    assert list(
        VideoModeration.objects.order_by("pk").values_list("action", "prohibited_item")
    ) == [("hide", 5), ("delete", 3)]
    audit = AuditEntry.objects.filter(action__startswith="contracts.video_record.").exclude(
        action="contracts.video_record.created"
    )
    assert {a.action for a in audit} == {
        "contracts.video_record.hidden",
        "contracts.video_record.deleted",
    }
    assert {a.clause for a in audit} == {"art10.5"} and {a.extra["art7_1_item"] for a in audit} == {
        3,
        5,
    }
    # No notice beforehand (Art. 7(2)), but the customer's deletion log shows it with the item.
    assert not Notice.objects.filter(customer=rental_a.customer).exists()
    alice_client.cookies.load({"django_language": "en"})
    page = alice_client.get("/video/").content.decode()
    assert page.count('data-testid="deletion-moderation"') == 2
    assert "(3) Sending video that infringes the rights of others" in page
    assert "(5) Obscene information" in page


def test_moderation_needs_an_item_and_a_note_and_a_deleted_record_stays_deleted(
    staff: User, rental_a: Rental
):
    from django.core.exceptions import ValidationError

    from contracts.services.moderation import video_record_moderate

    record = make_video_record(rental_a)

    def moderate(action: str, item: int, note: str) -> None:
        video_record_moderate(
            record=record, action=action, prohibited_item=item, note=note, actor=staff
        )

    with pytest.raises(ValidationError):
        moderate("hide", 19, "x")
    with pytest.raises(ValidationError):
        moderate("hide", 1, " ")
    moderate("delete", 18, "x")
    with pytest.raises(ValidationError):
        moderate("hide", 1, "x")
    assert VideoModeration.objects.count() == 1


# --- Disclosure log (Art. 10(3)) -------------------------------------------------------------


def _disclosure_post(customer: Customer, record: VideoRecord, **overrides: str) -> dict:
    disclosed = timezone.localtime() - timedelta(hours=3)
    data = {
        "customer": str(customer.pk),
        "records": str(record.pk),
        "ground": "1",
        "recipient": "札幌地方検察庁",
        "what": "2026-11-01 の録画（捜査関係事項照会に基づく）",
        "disclosed_at_0": disclosed.strftime("%Y-%m-%d"),
        "disclosed_at_1": disclosed.strftime("%H:%M:%S"),
        "note": "",
        "notification": "notify",
        "withhold_reason": "",
    }
    data.update(overrides)
    return data


def test_staff_record_a_disclosure_and_notify_the_customer(
    staff_client: Client, customer_a: Customer, rental_a: Rental
):
    record = make_video_record(rental_a)
    response = staff_client.post(
        "/admin/contracts/videodisclosure/add/", _disclosure_post(customer_a, record)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    disclosure = VideoDisclosure.objects.get()
    assert list(disclosure.records.all()) == [record]
    notice = Notice.objects.get(kind=Notice.Kind.VIDEO_DISCLOSURE)
    assert notice.customer == customer_a and notice.clause == "art10.3"
    assert "札幌地方検察庁" in notice.body_text and "第10条第3項" in notice.body_text
    assert disclosure.notice_id_sent == notice.pk
    entry = AuditEntry.objects.get(action="contracts.video_disclosure.recorded")
    assert entry.clause == "art10.3" and entry.extra["ground"] == 1


def test_withholding_the_notice_needs_a_reason_and_sends_nothing(
    staff_client: Client, customer_a: Customer, rental_a: Rental
):
    record = make_video_record(rental_a)
    refused = staff_client.post(
        "/admin/contracts/videodisclosure/add/",
        _disclosure_post(customer_a, record, ground="4", notification="withhold"),
    )
    assert refused.status_code == 200 and not VideoDisclosure.objects.exists()
    body = refused.content.decode()
    assert "お客様に通知しない理由を入力してください。" in body
    assert "videodisclosure_withhold_has_reason" not in body
    staff_client.post(
        "/admin/contracts/videodisclosure/add/",
        _disclosure_post(
            customer_a,
            record,
            ground="4",
            notification="withhold",
            withhold_reason="The authority asked us not to tell the customer.",
        ),
    )
    assert VideoDisclosure.objects.get().notification == "withhold"
    assert not Notice.objects.filter(kind=Notice.Kind.VIDEO_DISCLOSURE).exists()


def test_a_disclosure_cannot_name_another_customers_records(
    staff: User, customer_a: Customer, rental_b: Rental
):
    from django.core.exceptions import ValidationError

    from contracts.services.disclosures import DisclosureData, video_disclosure_record

    with pytest.raises(ValidationError):
        video_disclosure_record(
            customer=customer_a,
            records=[make_video_record(rental_b)],
            data=DisclosureData(
                ground=1,
                recipient="x",
                what="y",
                disclosed_at=timezone.now(),
                notification="notify",
            ),
            actor=staff,
        )


def test_the_disclosure_log_is_hidden_from_customers(
    staff: User, alice_client: Client, customer_a: Customer, rental_a: Rental
):
    from contracts.services.disclosures import DisclosureData, video_disclosure_record

    record = make_video_record(rental_a)
    video_disclosure_record(
        customer=customer_a,
        records=[record],
        data=DisclosureData(
            ground=4,
            recipient="秘密の照会先",
            what="録画",
            disclosed_at=timezone.now(),
            notification="withhold",
            withhold_reason="Forbidden by the authority.",
        ),
        actor=staff,
    )
    for url in ("/video/", "/video/records.csv", "/api/v1/video-records", "/notices/"):
        assert "秘密の照会先" not in alice_client.get(url).content.decode(), url
    assert alice_client.get("/admin/contracts/videodisclosure/").status_code == 302
    archive = alice_client.post("/account/personal-data/download")
    assert archive.status_code == 200
    import zipfile

    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        everything = "".join(z.read(n).decode("utf-8") for n in z.namelist())
    assert "秘密の照会先" not in everything
    assert "video_disclosure" not in everything


# --- Deletion at the end and on return (Art. 10(6)(7)) --------------------------------------


def test_ending_a_rental_marks_its_cloud_records_deleted_and_a_wipe_its_sd_records(
    staff: User, rental_a: Rental
):
    from contracts.services import rental_operations

    unit = rental_a.assignments.get().unit
    cloud = make_video_record(rental_a)
    sd = make_video_record(rental_a, storage="sd_card", unit=unit)
    rental_operations.rental_end(rental=rental_a, actor=staff)
    cloud.refresh_from_db()
    sd.refresh_from_db()
    assert cloud.state == VideoRecord.State.DELETED and cloud.state_changed_at is not None
    assert sd.state == VideoRecord.State.HELD
    unit.product.recording = "sd_card"
    unit.product.save()
    rental_operations.rental_unit_return(assignment=rental_a.assignments.get(), actor=staff)
    unit.refresh_from_db()
    rental_operations.unit_wipe(unit=unit, actor=staff)
    sd.refresh_from_db()
    assert sd.state == VideoRecord.State.DELETED


def test_staff_add_a_record_in_the_admin(staff_client: Client, rental_a: Rental):
    data = {
        "rental": str(rental_a.pk),
        "unit": str(rental_a.assignments.get().unit_id),
        "period_start_0": "2026-11-01",
        "period_start_1": "09:00:00",
        "period_end_0": "2026-11-01",
        "period_end_1": "08:00:00",
        "storage": "cloud",
        "size_bytes": "123456789",
        "external_ref": "",
    }
    # Ending before it starts: refused in words, not with the constraint's name.
    backwards = staff_client.post("/admin/contracts/videorecord/add/", data)
    assert backwards.status_code == 200
    assert "記録の終了日時は開始日時より後にしてください。" in backwards.content.decode()
    assert "videorecord_period_ordered" not in backwards.content.decode()
    assert not VideoRecord.objects.exists()
    data["period_end_1"] = "18:00:00"
    response = staff_client.post("/admin/contracts/videorecord/add/", data)
    errors = response.context["adminform"].form.errors if response.status_code == 200 else {}
    assert response.status_code == 302, errors
    record = VideoRecord.objects.get()
    assert record.customer_id == rental_a.customer_id and record.source == "staff"
    assert AuditEntry.objects.filter(action="contracts.video_record.created").exists()


def test_the_staff_screens_open(
    staff_client: Client, staff: User, customer_a: Customer, rental_a: Rental
):
    from contracts.services.disclosures import DisclosureData, video_disclosure_record

    record = make_video_record(rental_a)
    disclosure = video_disclosure_record(
        customer=customer_a,
        records=[record],
        data=DisclosureData(
            ground=5,
            recipient="委託先",
            what="保守",
            disclosed_at=timezone.now(),
            notification="notify",
        ),
        actor=staff,
    )
    for url in (
        "/admin/contracts/videorecord/",
        f"/admin/contracts/videorecord/{record.pk}/change/",
        "/admin/contracts/videodisclosure/",
        f"/admin/contracts/videodisclosure/{disclosure.pk}/change/",
        "/admin/contracts/videodisclosure/add/",
        "/admin/contracts/contracttransfer/",
        "/admin/contracts/personaldataerasure/",
    ):
        assert staff_client.get(url).status_code == 200, url


def test_the_import_refuses_times_and_ids_outside_what_is_stored(
    staff_client: Client, rental_a: Rental
):
    """A time that parses but is in year 10000 in UTC, and a rental id beyond a database id,
    are problems of their row (a 500 before, and a time stored in year 10000 could not be
    read back); nothing is imported."""
    row = {
        "rental": rental_a.pk,
        "period_start": "2026-11-01T00:00:00Z",
        "period_end": "9999-12-31T23:59:59-12:00",
        "storage": "cloud",
        "size_bytes": 7,
    }
    rows = {"records": [row, {**row, "period_end": "2026-11-02T00:00:00Z", "rental": 10**30}]}
    response = staff_client.post(
        "/api/v1/video-records/import", rows, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    problems = " ".join(response.json()["errors"]["records"])
    assert "period_end が指定できる範囲外です" in problems
    assert str(10**30) in problems
    assert not VideoRecord.objects.exists()


def test_a_deleted_record_and_the_deletion_log_say_deleted_not_deletion_time(
    alice_client: Client, rental_a: Rental, staff: User
):
    """The msgid "Deleted" was both the deletions page's time column and the state of a
    record / the act in the log, so /video/ read 「削除日時」 where it meant 「削除済み」."""
    from contracts.services import rental_operations

    record = make_video_record(rental_a)
    rental_operations.rental_end(rental=rental_a, actor=staff)
    page = alice_client.get("/video/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f'data-testid="video-record-{record.pk}"' in page
    assert "削除日時" not in page
    assert '<span class="status">削除済み</span>' in page
    assert "<td>削除済み</td>" in page
    deletions = alice_client.get("/rentals/deletions/", HTTP_ACCEPT_LANGUAGE="ja").content
    assert "<th>削除日時</th>" in deletions.decode()
