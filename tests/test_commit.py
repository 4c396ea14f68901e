import pytest
from django.db import transaction

from supportdesk.commit import after_commit_robust


def _broker_down(*args, **kwargs):
    raise ConnectionError("broker unreachable")


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_call_is_logged_and_the_change_stands(caplog):
    with transaction.atomic():
        after_commit_robust(_broker_down, 1, countdown=5)  # would raise AttributeError were it a bare partial

    assert "Error calling" in caplog.text and "_broker_down" in caplog.text
