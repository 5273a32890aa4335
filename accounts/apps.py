from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and customers")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import signals  # noqa: F401
        from .current import connect_fact_receivers
        from .freshness import GENERATION_KEY, install_write_watcher
        from .sessions import shared_fact_key_add

        connect_fact_receivers()
        # Every write moves the data generation; it is read with every session.
        connection_created.connect(install_write_watcher, dispatch_uid="data-generation")
        shared_fact_key_add(GENERATION_KEY)
