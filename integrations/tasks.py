from celery import shared_task

from . import services
from .aws.errors import RETRYABLE
from .models import AwsAccount


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=True, retry_backoff_max=600, max_retries=8)
def account_capability_refresh_task(account_id: int) -> str:
    """Re-check what AWS allows for one account; running it twice only checks twice."""
    account = AwsAccount.objects.filter(pk=account_id, enabled=True).first()
    if account is None:
        return "skipped"
    return services.account_capability_refresh(account=account).support_api


@shared_task(acks_late=True)
def accounts_capability_refresh_all_task() -> int:
    """Daily (admin-editable in Periodic tasks): one check per enabled account, each retried on its own."""
    ids = list(AwsAccount.objects.filter(enabled=True).values_list("pk", flat=True))
    for account_id in ids:
        account_capability_refresh_task.delay(account_id)
    return len(ids)
