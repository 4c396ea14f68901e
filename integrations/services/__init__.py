"""Writes for AWS accounts, findings and events. Each service is one transaction; AWS is called before it opens."""

from .accounts import (
    account_access,
    account_capability_refresh,
    account_check_queue,
    organization_discover,
)
from .advice import PLAN_TOO_LOW_NOTE
from .case_sync import support_cases_sync
from .cases import (
    CaseAlreadyOpen,
    CaseFieldInvalid,
    CaseRefused,
    support_case_open,
    support_case_open_automatically,
)
from .health import health_events_record, health_poll
from .polls import poll_lock, poll_runs_prune
from .push import EventRefused, eventbridge_event_ingest
from .trusted_advisor import findings_apply, trusted_advisor_poll

__all__ = [
    "PLAN_TOO_LOW_NOTE",
    "CaseAlreadyOpen",
    "CaseFieldInvalid",
    "CaseRefused",
    "EventRefused",
    "account_access",
    "account_capability_refresh",
    "account_check_queue",
    "eventbridge_event_ingest",
    "findings_apply",
    "health_events_record",
    "health_poll",
    "organization_discover",
    "poll_lock",
    "poll_runs_prune",
    "support_case_open",
    "support_case_open_automatically",
    "support_cases_sync",
    "trusted_advisor_poll",
]
