from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and customers")

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .current import connect_fact_receivers

        connect_fact_receivers()
