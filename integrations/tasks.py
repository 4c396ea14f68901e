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
