"""Every e-mail django-allauth sends is written by the portal's own templates, in Japanese and
English, formal (宛名 and 署名 with the provider's name and contact; no host name, no
"Hello from"), with a plain-text and an HTML part."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client, RequestFactory
from django.utils import translation

from accounts.models import User
from tests.factories import SIGNUP_NAMES

pytestmark = pytest.mark.django_db

CONTEXTS = {
    "account/email/email_confirmation": {"activate_url": "https://portal.example/c/KEY/"},
    "account/email/email_confirmation_signup": {"activate_url": "https://portal.example/c/K/"},
    "account/email/password_reset_key": {"password_reset_url": "https://portal.example/r/K/"},
    "account/email/password_reset_code": {"code": "ABC123"},
    "account/email/login_code": {"code": "ABC123"},
    "account/email/unknown_account": {"signup_url": "https://portal.example/signup/"},
    "account/email/account_already_exists": {"password_reset_url": "https://portal.example/reset/"},
    "account/email/email_confirm": {"compromised_url": "https://portal.example/stolen/"},
}


def _render(prefix: str, language: str, user: User | None) -> EmailMultiAlternatives:
    request = RequestFactory().get("/")
    context = {"email": "taro@yamada.example.jp", "user": user, **CONTEXTS[prefix]}
    from allauth.core import context as allauth_context

    with translation.override(language), allauth_context.request_context(request):
        message = get_adapter(request).render_mail(prefix, "taro@yamada.example.jp", context)
    assert isinstance(message, EmailMultiAlternatives)
    return message


@pytest.mark.parametrize("prefix", sorted(CONTEXTS))
@pytest.mark.parametrize("language", ["ja", "en"])
def test_each_allauth_mail_comes_from_the_portals_templates(
    prefix: str, language: str, alice: User
) -> None:
    alice.family_name, alice.given_name = "山田", "太郎"
    alice.save()
    user = None if prefix.endswith("unknown_account") else alice
    message = _render(prefix, language, user)
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    mark = "【CTS】" if language == "ja" else "[CTS] "
    assert message.subject.startswith(mark)
    for part in (message.body, str(html)):
        assert "support@cts.example.jp" in part
        assert ("株式会社シーティーエス" if language == "ja" else "CTS Co., Ltd.") in part
        assert "Hello from" not in part and "example.com" not in part
        assert "こんにちは" not in part
        for value in CONTEXTS[prefix].values():
            assert value in part
    salutation = message.body.splitlines()[0]
    if user is None:
        assert salutation == ("お客様" if language == "ja" else "Dear Customer,")
    else:
        assert salutation == ("山田 太郎 様" if language == "ja" else "Dear 山田 太郎,")
    assert f'<html lang="{language}">' in str(html)


def test_the_sign_up_mail_is_the_portals_in_japanese(client: Client) -> None:
    client.post(
        "/accounts/signup/",
        {
            "email": "taro@yamada.example.jp",
            "password1": "a long passphrase for the site office",
            "password2": "a long passphrase for the site office",
            **SIGNUP_NAMES,
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    (message,) = mail.outbox
    assert message.subject == "【CTS】ご登録のメールアドレスのご確認のお願い"
    assert message.body.startswith("山田 太郎 様")
    assert "/accounts/confirm-email/" in message.body


def test_an_ordinary_reset_mail_does_not_speak_of_stolen_credentials(alice: User) -> None:
    message = _render("account/email/password_reset_key", "ja", alice)
    assert "パスワード再設定のご依頼を受け付けました" in message.body
    assert "盗用" not in message.body


def test_the_reset_after_a_stolen_credentials_report_says_why(alice: User) -> None:
    alice.set_unusable_password()
    alice.save()
    for language, why in (("ja", "盗用または第三者による使用のご報告"), ("en", "stolen")):
        message = _render("account/email/password_reset_key", language, alice)
        html = str(message.alternatives[0][0])
        for part in (f"{message.subject}{message.body}", html):
            assert why in part
            for dismissal in ("ignore", "無視", "破棄", "心当たりのない場合"):
                assert dismissal not in part


def test_the_reset_sent_by_a_stolen_credentials_report_explains_itself(
    bob: User, django_capture_on_commit_callbacks: object
) -> None:
    from security.services import credentials as services

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.credentials_report_compromised(user=bob, reporter=bob, channel="web")
    [reset] = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert "盗用" in reset.subject or "stolen" in reset.subject
    assert "ignore" not in reset.body and "破棄" not in reset.body
