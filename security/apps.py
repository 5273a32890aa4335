from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """The account workflows that send notices (invitations, stolen credentials, security
    e-mails). They sit above the notices app, so that accounts/ imports none of it."""

    name = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from . import signals  # noqa: F401
