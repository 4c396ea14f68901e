"""A fake of the AWS gateway's functions, for service tests. The gateway itself is tested against botocore's
Stubber and moto; above it, services only see these dataclasses, so faking here fakes nothing of ours."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

from awsgateway import health, trusted_advisor
from awsgateway.errors import AwsAccessDenied, AwsError
from awsgateway.health import Entity, HealthEvent
from awsgateway.trusted_advisor import TaCheck, TaCheckResult, TaFlaggedResource, TaRecommendation

LOW_UTILISATION = TaCheck(
    id="Qch7DwouX1",
    name="Low Utilization Amazon EC2 Instances",
    category="cost_optimizing",
    description="Checks for <b>idle</b> instances.",
    headings=(
        "Region/AZ",
        "Instance ID",
        "Instance Name",
        "Instance Type",
        "Estimated Monthly Savings",
        "Day 1",
        "14-Day Average CPU Utilization",
        "Number of Days Low Utilization",
    ),
)
OPEN_PORTS = TaCheck(
    id="HCP4007jGY",
    name="Security Groups - Specific Ports Unrestricted",
    category="security",
    description="Checks security groups.",
    headings=("Region", "Security Group Name", "Security Group ID", "Protocol", "Port", "Status"),
)


def idle_instance(instance_id: str, savings: str = "$12.50", cpu: str = "1.2%", status: str = "warning"):
    return TaFlaggedResource(
        check_id=LOW_UTILISATION.id,
        resource_id=f"opaque-{instance_id}",
        status=status,
        region="eu-west-1",
        is_suppressed=False,
        details=dict(
            zip(
                LOW_UTILISATION.headings,
                ["eu-west-1a", instance_id, "web", "m5.large", savings, "1%", cpu, "14"],
                strict=True,
            )
        ),
        estimated_monthly_savings=trusted_advisor.parse_money(savings),
    )


def open_port(group_id: str, port: str = "22", status: str = "error"):
    return TaFlaggedResource(
        check_id=OPEN_PORTS.id,
        resource_id=f"opaque-{group_id}-{port}",
        status=status,
        region="eu-west-1",
        is_suppressed=False,
        details=dict(zip(OPEN_PORTS.headings, ["eu-west-1", "default", group_id, "tcp", port, "Red"], strict=True)),
        estimated_monthly_savings=None,
    )


# Yesterday at 09:00: recent enough for a first poll's "what changed in the last week", on any date
T0 = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
T0_ISO = T0.strftime("%Y-%m-%dT%H:%M:%SZ")  # an EventBridge envelope's `time`
T0_RFC1123 = format_datetime(T0, usegmt=True)  # a Health event's times in EventBridge's `detail`


def health_event(n: int, *, status: str = "open", category: str = "issue", updated: int = 0, **extra) -> HealthEvent:
    return HealthEvent(
        arn=f"arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_{n:04d}",
        service="EC2",
        event_type_code="AWS_EC2_OPERATIONAL_ISSUE"
        if category == "issue"
        else "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED",
        category=category,
        region="eu-west-1",
        status=status,
        start_time=T0,
        end_time=extra.get("end_time"),
        last_updated=T0 + timedelta(minutes=updated),
        scope="ACCOUNT_SPECIFIC",
    )


@dataclass
class FakeAws:
    checks: list[TaCheck] = field(default_factory=lambda: [LOW_UTILISATION, OPEN_PORTS])
    flagged: dict[tuple[str, str], list[TaFlaggedResource]] = field(default_factory=dict)  # (account, check id)
    check_errors: dict[str, AwsError] = field(default_factory=dict)
    fail_with: AwsError | None = None
    events: dict[str, list[HealthEvent]] = field(default_factory=dict)  # by account id (org view: manager's)
    descriptions: dict[str, str] = field(default_factory=dict)
    entities: dict[tuple[str, str], list[Entity]] = field(default_factory=dict)  # (arn, account id)
    affected: dict[str, list[str]] = field(default_factory=dict)  # org view: arn → member account ids
    calls: list[str] = field(default_factory=list)
    newer_ta_api: bool = False  # whether the account may call the trustedadvisor API
    newer_ta_api_error: AwsError | None = None  # how the trustedadvisor API fails when the account may call it
    organization_view: str = "ENABLED"  # Health's organisational view for the organisation

    def flag(self, account_id: str, check: TaCheck, *resources: TaFlaggedResource) -> None:
        self.flagged[(account_id, check.id)] = list(resources)

    def publish(self, account_id: str, *events: HealthEvent) -> None:
        self.events[account_id] = list(events)

    # The gateway's functions, as the services call them

    def _raise(self) -> None:
        if self.fail_with:
            raise self.fail_with

    def ta_checks(self, access):
        self._raise()
        return list(self.checks)

    def ta_check_result(self, access, check):
        self.calls.append(f"result {check.id}")
        if check.id in self.check_errors:
            raise self.check_errors[check.id]
        flagged = tuple(self.flagged.get((access.account_id, check.id), []))
        return TaCheckResult(check.id, "warning" if flagged else "ok", T0, len(flagged), None, flagged)

    def ta_refresh(self, access, check_id):
        return 0

    def ta_recommendations(self, access):
        if not self.newer_ta_api:
            raise AwsAccessDenied("AWS denied access to trustedadvisor:ListRecommendations.")
        if self.newer_ta_api_error:
            raise self.newer_ta_api_error
        self._raise()
        return [TaRecommendation(f"arn:rec/{c.id}", c.id, "warning") for c in self.checks]

    def ta_recommendation_checks(self, access):
        return list(self.checks)

    def ta_recommendation_resources(self, access, check, arn):
        self.calls.append(f"resources {check.id}")
        yield from self.flagged.get((access.account_id, check.id), [])

    def events_since(self, access, since):
        self._raise()
        self.calls.append(f"events since {since}")
        return iter([e for e in self.events.get(access.account_id, []) if e.last_updated >= since])

    def events_current(self, access):
        self._raise()
        self.calls.append("events current")
        return iter([e for e in self.events.get(access.account_id, []) if e.status != "closed"])

    def event_details(self, access, arns):
        return {arn: self.descriptions[arn] for arn in arns if arn in self.descriptions}

    def affected_entities(self, access, arns):
        return iter([e for arn in arns for e in self.entities.get((arn, access.account_id), [])])

    def affected_accounts(self, access, arn):
        return list(self.affected.get(arn, []))

    def organization_event_details(self, access, keys):
        return {key: self.descriptions[key[0]] for key in keys if key[0] in self.descriptions}

    def organization_affected_entities(self, access, keys):
        return iter([e for key in keys for e in self.entities.get(key, [])])

    def organization_view_status(self, access):
        return self.organization_view

    def install(self, monkeypatch) -> "FakeAws":
        for module, name, fake in [
            (trusted_advisor, "checks", self.ta_checks),
            (trusted_advisor, "check_result", self.ta_check_result),
            (trusted_advisor, "refresh", self.ta_refresh),
            (trusted_advisor, "recommendations", self.ta_recommendations),
            (trusted_advisor, "recommendation_checks", self.ta_recommendation_checks),
            (trusted_advisor, "recommendation_resources", self.ta_recommendation_resources),
            (health, "events_since", self.events_since),
            (health, "organization_events_since", self.events_since),
            (health, "events_current", self.events_current),
            (health, "organization_events_current", self.events_current),
            (health, "event_details", self.event_details),
            (health, "affected_entities", self.affected_entities),
            (health, "affected_accounts", self.affected_accounts),
            (health, "organization_event_details", self.organization_event_details),
            (health, "organization_affected_entities", self.organization_affected_entities),
            (health, "organization_view_status", self.organization_view_status),
        ]:
            monkeypatch.setattr(module, name, fake)
        return self


def updated(event: HealthEvent, minutes: int, **changes) -> HealthEvent:
    return replace(event, last_updated=event.last_updated + timedelta(minutes=minutes), **changes)


def money(text: str) -> Decimal:
    return Decimal(text)
