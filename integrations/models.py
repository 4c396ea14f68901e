"""Every model of the app, so Django finds them (it imports ``integrations.models``); each is defined in its domain's
``models.py`` and gets the app label ``integrations`` from there. Old migrations name ``role_arn_partition`` here."""

from .accounts.models import ApiState, AwsAccount, PollRun, Source, role_arn_partition
from .alarms.models import Alarm, AlarmSeverity
from .cases.models import CaseCommunication, CaseSeverity, IssueType, SupportCase
from .findings.models import DESCRIPTOR, Finding, FindingGroup, TrustedAdvisorCategory, TrustedAdvisorCheck
from .health.models import HealthEvent
from .maintenance.models import MaintenanceWindow
from .push.models import SnsMessage, SnsTopic
from .security.models import SecurityFinding
from .ticketing.models import TagRoute

__all__ = [
    "DESCRIPTOR",
    "Alarm",
    "AlarmSeverity",
    "ApiState",
    "AwsAccount",
    "CaseCommunication",
    "CaseSeverity",
    "Finding",
    "FindingGroup",
    "HealthEvent",
    "IssueType",
    "MaintenanceWindow",
    "PollRun",
    "SecurityFinding",
    "SnsMessage",
    "SnsTopic",
    "Source",
    "SupportCase",
    "TagRoute",
    "TrustedAdvisorCategory",
    "TrustedAdvisorCheck",
    "role_arn_partition",
]
