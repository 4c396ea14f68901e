"""Writes for AWS Support cases: opening one from a ticket (opening.py) and following it in AWS (sync.py)."""

from .opening import (
    CaseAlreadyOpen,
    CaseFieldInvalid,
    CaseRefused,
    support_case_open,
    support_case_open_automatically,
)
from .sync import support_cases_sync

__all__ = [
    "CaseAlreadyOpen",
    "CaseFieldInvalid",
    "CaseRefused",
    "support_case_open",
    "support_case_open_automatically",
    "support_cases_sync",
]
