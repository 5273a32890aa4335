"""Writes of the notices app (the only way the portal says anything to a customer, Art. 16),
one module per concern: ``outbox`` (creating notices in the event's transaction, staff
retries, read markers), ``rendering`` (a kind's templates to stored text) and ``delivery``
(claiming, sending, retrying, the sweep).

The names below are the package's public interface: ``from notices.services import
notice_create`` is how other apps create a notice."""

from .delivery import (
    DELIVERY_BATCH,
    DeliveryOutcome,
    delivery_batches,
    notice_claim,
    notice_deliver,
    notices_claim,
    notices_deliver,
    notices_requeue_due,
    retry_delay,
)
from .outbox import (
    NOTICE_CHUNK,
    NoticeItem,
    notice_create,
    notice_default_recipients,
    notice_mark_read,
    notice_retry,
    notices_create_bulk,
    notices_create_many,
    notices_created_pending,
    notices_queue_created,
    notices_queue_delivery,
)
from .sql_rendering import (
    NoticesSql,
    Sql,
    SqlRenderingUnsupported,
    html_escape_sql,
    notices_insert,
    notices_insert_sql,
    select_without_jit,
)

__all__ = [
    "DELIVERY_BATCH",
    "NOTICE_CHUNK",
    "DeliveryOutcome",
    "NoticeItem",
    "NoticesSql",
    "Sql",
    "SqlRenderingUnsupported",
    "delivery_batches",
    "html_escape_sql",
    "notice_claim",
    "notice_create",
    "notice_default_recipients",
    "notice_deliver",
    "notice_mark_read",
    "notice_retry",
    "notices_claim",
    "notices_create_bulk",
    "notices_create_many",
    "notices_created_pending",
    "notices_deliver",
    "notices_insert",
    "notices_insert_sql",
    "notices_queue_created",
    "notices_queue_delivery",
    "notices_requeue_due",
    "retry_delay",
    "select_without_jit",
]
