"""`make run` starts without alarming output: no list of template files, the worker drops
root where it can (or says in one line why not), and e-mail links stand on their own line."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command

from ctsportal.mail import ReadableConsoleBackend
from ctsportal.worker import worker_argv

pytestmark = pytest.mark.django_db


def test_the_checks_do_not_list_template_files() -> None:
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "notice e-mail templates are missing" not in out.getvalue()
    assert "emails/" not in out.getvalue()


def test_the_worker_drops_root_to_an_existing_user() -> None:
    argv, note = worker_argv(["--concurrency=2"], euid=0, user="nobody")
    assert argv[:4] == ["celery", "-A", "ctsportal", "worker"]
    assert argv[-4:-2] == ["--uid", "nobody"] and argv[-2] == "--gid"
    assert note is None


def test_the_worker_says_in_one_line_why_it_stays_root() -> None:
    argv, note = worker_argv([], euid=0, user="no-such-user-here")
    assert "--uid" not in argv
    assert note is not None and "\n" not in note and "CTS_WORKER_USER" in note


def test_a_worker_started_by_a_user_is_left_alone() -> None:
    argv, note = worker_argv(["-l", "INFO"], euid=1000, user="portal")
    assert argv == ["celery", "-A", "ctsportal", "worker", "-l", "INFO"] and note is None


def test_console_mail_puts_each_link_on_a_marked_line() -> None:
    stream = io.StringIO()
    message = mail.EmailMultiAlternatives(
        "【CTS】メールアドレスのご確認のお願い",
        "山田 太郎 様\n\n次のリンクを開いてください。\n\nhttp://127.0.0.1:8000/accounts/confirm-email/KEY/\n",
        "portal@cts.example.jp",
        ["taro@yamada.example.jp"],
    )
    message.attach_alternative("<p>html</p>", "text/html")
    ReadableConsoleBackend(stream=stream).send_messages([message])
    out = stream.getvalue()
    assert ">>> LINK: http://127.0.0.1:8000/accounts/confirm-email/KEY/" in out.splitlines()
    assert "【CTS】メールアドレスのご確認のお願い" in out  # decoded, not MIME-encoded
    assert "Content-Transfer-Encoding" not in out and "<p>html</p>" not in out
