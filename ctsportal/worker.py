"""`python -m ctsportal.worker [celery worker options]`: the Celery worker of `make run`,
without root's privileges where that can be avoided.

Started as root (a development container) and with the user named by CTS_WORKER_USER
(default "portal", the user of the Docker image) present, the worker drops to that user
(celery's --uid/--gid). Without such a user it stays as it was started and says so in one
line, instead of Celery's multi-line security warning."""

from __future__ import annotations

import grp
import os
import pwd
import sys


def worker_argv(args: list[str], *, euid: int, user: str) -> tuple[list[str], str | None]:
    """The celery command line and, when it keeps running as root, the note to print."""
    argv = ["celery", "-A", "ctsportal", "worker", *args]
    if euid != 0:
        return argv, None
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return argv, (
            f"worker: running as root (no user {user!r} to switch to; set CTS_WORKER_USER "
            "to a user that may write var/ to drop root)"
        )
    group = grp.getgrgid(account.pw_gid).gr_name
    return [*argv, "--uid", account.pw_name, "--gid", group], None


def main() -> None:
    argv, note = worker_argv(
        sys.argv[1:], euid=os.geteuid(), user=os.environ.get("CTS_WORKER_USER", "portal")
    )
    if note:
        print(note, flush=True)
        # The note above replaces Celery's own warning about the superuser.
        os.environ["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser"
    os.execvp(argv[0], argv)  # noqa: S606 - a fixed program and our own arguments


if __name__ == "__main__":
    main()
