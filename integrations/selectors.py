from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import AwsAccount


def aws_account_list() -> QuerySet[AwsAccount]:
    return AwsAccount.objects.select_related("owner_queue").order_by("name")


def aws_account_detail(*, account_id: int) -> AwsAccount:
    return get_object_or_404(aws_account_list(), pk=account_id)
