import pytest

pytestmark = pytest.mark.django_db


def test_dashboard_shows_only_the_users_own_company(alice_client, customer_a, customer_b):
    html = alice_client.get("/dashboard/").content.decode()
    assert customer_a.name in html
    assert customer_b.name not in html


def test_dashboard_for_member_lists_colleagues_not_other_companies(bob_client, alice, charlie):
    html = bob_client.get("/dashboard/").content.decode()
    assert alice.email in html
    assert charlie.email not in html


def test_dashboard_requires_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_speaks_japanese_by_default_and_english_on_request(alice_client):
    ja = alice_client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'lang="ja"' in ja
    assert "ダッシュボード" in ja
    alice_client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    en = alice_client.get("/dashboard/").content.decode()
    assert 'lang="en"' in en
    assert "Dashboard" in en


def test_unknown_pages_get_the_portal_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "main" in response.content.decode()


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_dashboard_query_count_is_bounded(alice_client, bob, django_assert_max_num_queries):
    # The first request of a session does its bookkeeping once (session client, allauth's
    # session row, the company's activity) and fills the cache of current service
    # interruptions (Art. 8(1) banner); the ones after it are what a person waits for.
    with django_assert_max_num_queries(15):
        assert alice_client.get("/dashboard/").status_code == 200
    with django_assert_max_num_queries(6):
        assert alice_client.get("/dashboard/").status_code == 200
