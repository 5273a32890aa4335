from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _clear_current(**kwargs: Any) -> None:
    from django.db import transaction

    from .selectors import current_cache_clear

    # Now for this process, and again at commit so no request caches the old state meanwhile.
    current_cache_clear()
    transaction.on_commit(current_cache_clear)


class TermsConfig(AppConfig):
    name = "terms"
    verbose_name = _("Terms of use")

    def ready(self) -> None:
        from accounts.sessions import shared_fact_key_add

        from .models import TermsDocument, TermsVersion
        from .selectors import CURRENT_CACHE_KEY

        # The terms gate reads the versions in force on every signed-in request.
        shared_fact_key_add(CURRENT_CACHE_KEY)

        for model in (TermsDocument, TermsVersion):
            post_save.connect(_clear_current, sender=model, dispatch_uid=f"terms-clear-{model}")
            post_delete.connect(_clear_current, sender=model, dispatch_uid=f"terms-del-{model}")
