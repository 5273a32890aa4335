from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Registrations and contracts")

    def ready(self) -> None:
        from accounts.sessions import shared_fact_key_add
        from cameras.selectors import service_end_expression_set

        from .selectors.service_ends import product_service_end_at
        from .services.service_events import CURRENT_INTERRUPTIONS_KEY

        # Every customer page shows the current interruptions' banner (Art. 8(1)).
        shared_fact_key_add(CURRENT_INTERRUPTIONS_KEY)
        # The catalogue shows when a product's line ends (Art. 8(2)).
        service_end_expression_set(product_service_end_at)
