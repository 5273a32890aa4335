"""Customer pages and API of notices: own company only, another company's is a 404."""

from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Customer, User
from notices.models import Notice, NoticeRead
from tests.factories import UserFactory

from .conftest import make_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice_a(alice: User, bob: User, customer_a: Customer) -> Notice:
    return make_notice(customer_a, period="a1")


@pytest.fixture
def notice_b(charlie: User, customer_b: Customer) -> Notice:
    return make_notice(customer_b, period="b1")


def test_the_list_shows_only_my_companys_notices(
    alice_client: Client, notice_a: Notice, notice_b: Notice
) -> None:
    response = alice_client.get("/notices/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/notices/{notice_a.pk}/" in page
    assert f"/notices/{notice_b.pk}/" not in page
    assert 'href="/notices/"' in page  # the navigation links to it


def test_the_detail_shows_the_text_as_sent(alice_client: Client, notice_a: Notice) -> None:
    response = alice_client.get(f"/notices/{notice_a.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert notice_a.mail_subject in page
    assert notice_a.content_sha256 in page
    assert "第8条第1項" in page


def test_the_detail_names_the_clause_in_the_readers_language(
    alice_client: Client, notice_a: Notice
) -> None:
    """The clause row shows the article's label (第8条第1項：本サービスの停止・中断), not the stored
    code (art8.1)."""
    page = alice_client.get(f"/notices/{notice_a.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "<dd>第8条第1項：本サービスの停止・中断</dd>" in page
    assert "<dd>art8.1</dd>" not in page


def test_another_companys_notice_is_a_404(charlie_client: Client, notice_a: Notice) -> None:
    assert charlie_client.get(f"/notices/{notice_a.pk}/").status_code == 404
    assert charlie_client.get("/notices/999999/").status_code == 404
    assert not NoticeRead.objects.exists()


def test_a_user_without_a_company_sees_no_notices(staff_client: Client, notice_a: Notice) -> None:
    # Staff have no company: they see notices in the admin, not on the customer pages.
    response = staff_client.get("/notices/")
    assert response.status_code == 200
    assert f"/notices/{notice_a.pk}/" not in response.content.decode()
    assert staff_client.get(f"/notices/{notice_a.pk}/").status_code == 404


def test_an_applicant_without_a_company_never_reaches_a_notice(notice_a: Notice) -> None:
    client = Client()
    client.force_login(UserFactory(email="loner@example.jp"))
    for url in ("/notices/", f"/notices/{notice_a.pk}/", f"/api/v1/notices/{notice_a.pk}"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert notice_a.mail_subject not in response.content.decode()


def test_pages_need_a_login(notice_a: Notice) -> None:
    for url in ("/notices/", f"/notices/{notice_a.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_each_person_has_their_own_unread_marker(
    alice_client: Client, bob_client: Client, alice: User, bob: User, notice_a: Notice
) -> None:
    assert 'class="unread"' in alice_client.get("/notices/").content.decode()
    alice_client.get(f"/notices/{notice_a.pk}/")
    alice_client.get(f"/notices/{notice_a.pk}/")  # reading twice keeps one marker
    assert NoticeRead.objects.filter(notice=notice_a).count() == 1
    assert 'class="unread"' not in alice_client.get("/notices/").content.decode()
    assert 'class="unread"' in bob_client.get("/notices/").content.decode()


def test_the_list_page_takes_a_fixed_number_of_queries(
    alice_client: Client,
    customer_a: Customer,
    notice_a: Notice,
    django_assert_max_num_queries,
    settings,
) -> None:
    # What rendering the page costs (a page served from the cache costs none).
    settings.PAGE_CACHE = False
    alice_client.get("/notices/")  # warm up session and caches
    with django_assert_max_num_queries(12) as few:
        assert alice_client.get("/notices/").status_code == 200
    # Counted now: the next request starts a new query log.
    few_queries = len(few.captured_queries)
    for n in range(20):
        make_notice(customer_a, period=f"many-{n}")
    alice_client.get("/notices/")  # the data changed: the person is read again once
    with django_assert_max_num_queries(few_queries):
        response = alice_client.get("/notices/")
    assert response.content.decode().count('data-testid="notice-row"') == 21


def test_the_api_lists_my_companys_notices(
    alice_client: Client, notice_a: Notice, notice_b: Notice
) -> None:
    response = alice_client.get("/api/v1/notices")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [notice_a.pk]
    assert body["results"][0]["content_sha256"] == notice_a.content_sha256
    assert "body_text" not in body["results"][0]
    detail = alice_client.get(f"/api/v1/notices/{notice_a.pk}").json()
    assert detail["body_text"] == notice_a.body_text
    assert detail["recipients"] == ["alice@a.example.jp", "bob@a.example.jp"]


def test_the_api_hides_another_companys_notice(charlie_client: Client, notice_a: Notice) -> None:
    response = charlie_client.get(f"/api/v1/notices/{notice_a.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert notice_a.pk not in [
        r["id"] for r in charlie_client.get("/api/v1/notices").json()["results"]
    ]


def test_the_api_gives_a_user_without_a_company_nothing(
    staff_client: Client, notice_a: Notice
) -> None:
    assert staff_client.get("/api/v1/notices").json()["results"] == []
    assert staff_client.get(f"/api/v1/notices/{notice_a.pk}").status_code == 404


def test_the_api_needs_authentication(notice_a: Notice) -> None:
    assert Client().get("/api/v1/notices").status_code in (401, 403)


def _personal(kind: str, customer: Customer, to: str, period: str) -> Notice:
    """A row as the security and invitation workflows leave it (their rendering is theirs)."""
    return Notice.objects.create(
        customer=customer,
        kind=kind,
        clause="art6.3",
        period=period,
        recipients=[to],
        mail_subject=f"{kind} {period}",
        dedupe_key=f"test:{kind}:{period}",
    )


def test_the_page_keeps_company_notices_security_mail_and_invitations_apart(
    alice: User, bob: User, alice_client: Client, customer_a: Customer, notice_a: Notice
) -> None:
    mine = _personal(Notice.Kind.SECURITY_ALERT, customer_a, alice.email, "s1")
    bobs = _personal(Notice.Kind.SECURITY_ALERT, customer_a, bob.email, "s2")
    invitation = _personal(Notice.Kind.MEMBER_INVITATION, customer_a, "dan@a.example.jp", "i1")
    company = alice_client.get("/notices/").content.decode()
    assert f"/notices/{notice_a.pk}/" in company
    for other in (mine, bobs, invitation):
        assert f"/notices/{other.pk}/" not in company
    security = alice_client.get("/notices/?section=security").content.decode()
    assert f"/notices/{mine.pk}/" in security
    assert f"/notices/{bobs.pk}/" not in security  # a colleague's security mail is theirs
    assert f"/notices/{notice_a.pk}/" not in security
    invitations = alice_client.get("/notices/?section=invitations").content.decode()
    assert f"/notices/{invitation.pk}/" in invitations
    assert f"/notices/{mine.pk}/" not in invitations
    # The tab of the section shown is the current one (each page has exactly one).
    assert 'href="?section=invitations" aria-current="page"' in invitations
    assert invitations.count('aria-current="page"') == 1


@pytest.mark.parametrize("json_contains", [True, False], ids=["postgresql", "without-contains"])
def test_a_colleagues_security_mail_stays_theirs_on_every_route(
    alice: User,
    bob: User,
    alice_client: Client,
    customer_a: Customer,
    notice_a: Notice,
    json_contains: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Also as on a database without JSON containment (SQLite, make run), which matches the
    # quoted address in the stored list instead.
    from django.db import connection

    monkeypatch.setattr(connection.features, "supports_json_field_contains", json_contains)
    mine = _personal(Notice.Kind.SECURITY_ALERT, customer_a, alice.email, "s1")
    bobs = _personal(Notice.Kind.CREDENTIALS_COMPROMISED, customer_a, bob.email, "s2")
    assert alice_client.get(f"/notices/{bobs.pk}/").status_code == 404
    assert alice_client.get(f"/notices/{mine.pk}/").status_code == 200
    listed = [row["id"] for row in alice_client.get("/api/v1/notices").json()["results"]]
    assert mine.pk in listed and notice_a.pk in listed and bobs.pk not in listed
    assert alice_client.get(f"/api/v1/notices/{bobs.pk}").status_code == 404
    assert alice_client.get(f"/api/v1/notices/{mine.pk}").status_code == 200


def test_the_badges_of_the_list_do_not_wrap(
    alice: User, alice_client: Client, notice_a: Notice
) -> None:
    import re

    from django.contrib.staticfiles import finders

    page = alice_client.get("/notices/").content.decode()
    # The unread and delivery badges are .status spans...
    assert 'class="status status-pending">' in page
    assert f'class="status status-{notice_a.state}">' in page
    # ...which the stylesheet keeps on one line.
    css = Path(str(finders.find("css/portal.css"))).read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", css)
    assert any(
        ".status" in {s.strip() for s in selectors.split(",")} and "white-space: nowrap" in body
        for selectors, body in rules
    )


def test_the_providers_copy_of_a_notice_of_cancellation_is_not_the_companys_to_read(
    alice: User, alice_client: Client, customer_a: Customer
) -> None:
    # Art. 12(3) tells both sides: the provider's copy is kept with the company's notices as
    # evidence, but it is addressed to the provider; the company sees its own once.
    from contracts.services import cancellations

    cancellations.cancellation_give(customer=customer_a, actor=alice)
    own, copy = Notice.objects.filter(
        customer=customer_a, kind=Notice.Kind.CANCELLATION_GIVEN
    ).order_by("pk")
    assert copy.period == "provider" and own.period == ""
    page = alice_client.get("/notices/").content.decode()
    assert f"/notices/{own.pk}/" in page
    assert f"/notices/{copy.pk}/" not in page
    assert alice_client.get(f"/notices/{copy.pk}/").status_code == 404
    assert alice_client.get(f"/notices/{own.pk}/").status_code == 200
    listed = alice_client.get("/api/v1/notices", HTTP_ACCEPT="application/json")
    assert listed.status_code == 200
    ids = [row["id"] for row in listed.json()["results"]]
    assert own.pk in ids and copy.pk not in ids
