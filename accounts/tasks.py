from celery import shared_task
from django.utils import timezone
from knox.models import AuthToken


@shared_task(name="accounts.tasks.tokens_purge_expired")
def tokens_purge_expired() -> int:
    """Deletes API tokens past their expiry (they no longer authenticate anyway)."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
