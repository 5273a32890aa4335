"""The API's rate limits: a client over its rate is refused with 429 and told when to come
back; another client is not affected; the count lives in Redis, one round trip a call."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from ctsportal.throttling import AnonThrottle, UserThrottle
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {"user": "3/min", "anon": "2/min"}
    monkeypatch.setattr(UserThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", rates)


def test_a_person_over_the_rate_is_refused_and_another_is_not(
    alice: User, charlie: User, three_a_minute: None
) -> None:
    alice_client, charlie_client = sign_in(alice.email), sign_in(charlie.email)
    assert [alice_client.get("/api/v1/me").status_code for _ in range(3)] == [200] * 3
    refused = alice_client.get("/api/v1/me")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 61
    assert refused.json()["code"] == "throttled"
    assert charlie_client.get("/api/v1/me").status_code == 200


def test_anonymous_callers_have_their_own_rate(three_a_minute: None) -> None:
    client = Client()
    # The terms in force: the public API.
    assert [client.get("/api/v1/terms").status_code for _ in range(2)] == [200, 200]
    assert client.get("/api/v1/terms").status_code == 429


def test_the_count_is_one_round_trip_to_redis(
    alice: User, three_a_minute: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.client import Pipeline

    executed: list[int] = []
    real = Pipeline.execute

    def counting(self: Pipeline, *args: object, **kwargs: object) -> object:
        executed.append(len(self.command_stack))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counting)
    assert sign_in(alice.email).get("/api/v1/me").status_code == 200
    assert executed == [2]


def test_the_refusal_says_when_to_come_back_in_the_callers_language(
    three_a_minute: None,
) -> None:
    """DRF formats the wait into its sentence before translating it: the Japanese refusal
    ended in English ("Expected available in 60 seconds.")."""
    client = Client()
    for _ in range(2):
        client.get("/api/v1/terms")
    japanese = client.get("/api/v1/terms", HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese.status_code == 429
    wait = int(japanese["Retry-After"])
    assert japanese.json() == {
        "code": "throttled",
        "detail": f"リクエストが多すぎます。{wait} 秒後に再度お試しください。",
    }
    english = client.get("/api/v1/terms", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert english.startswith("Too many requests. Please try again in ")
