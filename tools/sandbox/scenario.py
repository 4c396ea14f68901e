"""The sandbox's world: accounts, Trusted Advisor findings and Health events on a scenario clock.

Nothing here is random or stored: what AWS shows at a moment follows from the clock's step, so every
client sees the same story, and a restart tells it again from step 0. ``demo()`` is the story ``make run``
tells; ``scale.py`` builds large, static worlds for benchmarks from the same pieces.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PAID_PLANS = frozenset({"business", "enterprise"})  # basic and developer have no Support or Health API


@dataclass(frozen=True)
class Clock:
    epoch: datetime  # step 0 starts here
    step_seconds: int

    def step(self, now: datetime) -> int:
        return int((now - self.epoch).total_seconds() // self.step_seconds)

    def time(self, step: int) -> datetime:
        return self.epoch + timedelta(seconds=step * self.step_seconds)


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    email: str
    plan: str  # enterprise|business|basic
    joined: datetime
    state: str = "ACTIVE"


@dataclass(frozen=True)
class Finding:
    """A flagged resource, shown from step ``appears`` until step ``clears`` (for good when None)."""

    check_id: str
    key: str  # what identifies the resource; AWS shows only an opaque hash of it
    region: str
    status: str  # warning|error
    metadata: dict[str, str | None]  # by heading; a missing heading comes back null, as in real results
    appears: int = 0
    clears: int | None = None

    def shown_at(self, step: int) -> bool:
        return self.appears <= step and (self.clears is None or step < self.clears)


@dataclass(frozen=True)
class Update:
    step: int  # when AWS posts it
    status: str  # open|closed|upcoming
    entity_status: str  # IMPAIRED|UNIMPAIRED|UNKNOWN|PENDING|RESOLVED
    description: str


@dataclass(frozen=True)
class Entity:
    value: str  # an instance id, a volume id, a function ARN…
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventState:
    status: str
    entity_status: str
    description: str
    start_time: datetime
    end_time: datetime | None
    last_updated: datetime


@dataclass(frozen=True)
class Event:
    arn: str
    service: str
    type_code: str
    category: str  # issue|accountNotification|scheduledChange
    region: str
    scope: str  # ACCOUNT_SPECIFIC|PUBLIC
    starts: timedelta  # from the epoch; negative for what began before the sandbox started
    updates: tuple[Update, ...]  # oldest first; the event is unknown before the first
    entities: tuple[Entity, ...] = ()
    lasts: timedelta | None = None  # scheduled changes have a planned end
    availability_zone: str | None = None

    def state(self, clock: Clock, step: int) -> EventState | None:
        posted = [u for u in self.updates if u.step <= step]
        if not posted:
            return None
        latest = posted[-1]
        start = clock.epoch + self.starts
        end: datetime | None
        if self.lasts is not None:
            end = start + self.lasts
        else:
            end = clock.time(latest.step) if latest.status == "closed" else None
        return EventState(
            status=latest.status,
            entity_status=latest.entity_status,
            description=latest.description,
            start_time=start,
            end_time=end,
            last_updated=clock.time(latest.step),
        )


@dataclass(frozen=True)
class AlarmChange:
    step: int  # when CloudWatch moves the alarm to this state and its action publishes
    state: str  # ALARM|OK|INSUFFICIENT_DATA
    reason: str


@dataclass(frozen=True)
class Alarm:
    """A metric alarm whose action publishes to an SNS topic subscribed to the portal (cloudwatch.py sends it)."""

    account_id: str
    region: str
    name: str
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str  # as the SNS message spells it: SUM, AVERAGE
    period: int
    comparison: str
    threshold: float
    changes: tuple[AlarmChange, ...]  # oldest first; the alarm was OK before the first


@dataclass(frozen=True)
class OpenedByAws:
    """A Support case AWS opens in an account (an abuse report, exposed keys), there from step ``appears``."""

    subject: str
    service_code: str
    category_code: str
    severity_code: str
    body: str
    appears: int


@dataclass(frozen=True)
class SecurityFinding:
    """A Security Hub finding (a failed control, or a GuardDuty finding imported there), live from step ``appears``;
    from step ``passes`` its control passes (Security Hub then labels it INFORMATIONAL and resolves it)."""

    product: str  # securityhub|guardduty
    key: str  # the end of its Id
    region: str
    title: str
    label: str  # CRITICAL|HIGH|MEDIUM|LOW
    resource_type: str
    resource_id: str
    generator: str
    types: tuple[str, ...]
    appears: int = 0
    passes: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class World:
    clock: Clock
    accounts: dict[str, Account]
    default_account_id: str  # who calls when the keys are not the sandbox's own (the default credential chain)
    organization_id: str
    management_account_id: str  # the organisation holds every account of the world
    findings: dict[str, tuple[Finding, ...]]  # by account id
    events: dict[str, tuple[Event, ...]]  # by account id; a public event is listed in each account
    alarms: tuple[Alarm, ...] = ()  # pushed to the portal, not polled: only `make run` sends them
    cases: dict[str, tuple[OpenedByAws, ...]] = field(default_factory=dict)  # by account id
    # by account id; an account without any has not enabled Security Hub
    security_findings: dict[str, tuple[SecurityFinding, ...]] = field(default_factory=dict)


PRODUCTION, DEVELOPMENT, BASIC, SUSPENDED = "111122223333", "444455556666", "777788889999", "222233334444"


def _low_utilization(instance_type: str, savings: str) -> dict[str, str | None]:
    days = {f"Day {d}": f"{1.2 + (d % 4) * 0.7:.1f}%  0.{d % 7}MB" for d in range(1, 15)}
    return {
        "Region/AZ": "us-east-1a",
        "Instance ID": "i-0a1b2c3d4e5f60718",
        "Instance Name": "reporting-batch-1",
        "Instance Type": instance_type,
        "Estimated Monthly Savings": savings,
        **days,
        "14-Day Average CPU Utilization": "2.3%",
        "14-Day Average Network I/O": "0.31MB",
        "Number of Days Low Utilization": "14 days",
    }


def _redshift(instance_type: str, savings: str) -> dict[str, str | None]:
    return {
        "Status": "Yellow",
        "Region": "eu-west-1",
        "Cluster": "analytics-dev",
        "Instance Type": instance_type,
        "Reason": "Low CPU utilization for the last 7 days",
        "Estimated Monthly Savings": savings,
    }


def _findings() -> dict[str, tuple[Finding, ...]]:
    high_cpu = {f"Day {d}": f"{94 + d % 5}.{d % 10}%" for d in range(1, 15)}
    return {
        PRODUCTION: (
            # Savings change at step 5: someone resized the idle instance up
            Finding(
                "Qch7DwouX1",
                "i-0a1b2c3d4e5f60718",
                "us-east-1",
                "warning",
                _low_utilization("m5.2xlarge", "$138.24"),
                clears=5,
            ),
            Finding(
                "Qch7DwouX1",
                "i-0a1b2c3d4e5f60718",
                "us-east-1",
                "warning",
                _low_utilization("m5.4xlarge", "$276.48"),
                appears=5,
            ),
            # Cleared at step 3: the one a newcomer sees resolve
            Finding(
                "HCP4007jGY",
                "sg-0f1e2d3c4b5a69788",
                "us-east-1",
                "error",
                {
                    "Region": "us-east-1",
                    "Security Group Name": "legacy-bastion-ssh",
                    "Security Group ID": "sg-0f1e2d3c4b5a69788",
                    "Protocol": "tcp",
                    "Status": "Red",
                    "Ports": "22",
                },
                clears=3,
            ),
            Finding(
                "f2iK5R6Dep",
                "orders-db",
                "us-east-1",
                "warning",
                {
                    "Region/AZ": "us-east-1b",
                    "DB Instance": "orders-db",
                    "VPC ID": "vpc-0a12b34c56d78e90f",
                    "Multi-AZ": "false",
                    "Status": "Yellow",
                },
            ),
            Finding(
                "DqdJqYeRm5",
                "ci-deployer/AKIAQX7EXAMPLECIDEP1",
                "us-east-1",
                "warning",
                {
                    "Status": "Yellow",
                    "IAM User": "ci-deployer",
                    "Access Key": "AKIAQX7EXAMPLECIDEP1",
                    "Key Last Rotated": "2026-02-03T08:14:55.000Z",
                    "Reason": "Key has not been rotated in 90 days",
                },
            ),
            Finding(
                "0Xc6LMYG8P",
                "us-east-1/ec2-standard",
                "us-east-1",
                "warning",
                {
                    "Region": "us-east-1",
                    "Service": "EC2",
                    "Limit Name": "On-Demand instances - Standard (A, C, D, H, I, M, R, T, Z) instances",
                    "Limit Amount": "1152",
                    "Current Usage": "1004",
                    "Status": "Yellow",
                },
            ),
            # New at step 6
            Finding(
                "Pfx0RwqBli",
                "acme-payments-exports",
                "us-east-1",
                "warning",
                {
                    "Region Name": "US East (N. Virginia)",
                    "Region API Parameter": "us-east-1",
                    "Bucket Name": "acme-payments-exports",
                    "ACL Allows List": "Yes",
                    "ACL Allows Upload/Delete": "No",
                    "Status": "Yellow",
                    "Policy Allows Access": "No",
                },
                appears=6,
            ),
        ),
        DEVELOPMENT: (
            Finding(
                "hjLMh88uM8",
                "dev-checkout-clb",
                "eu-west-1",
                "warning",
                {
                    "Region": "eu-west-1",
                    "Load Balancer Name": "dev-checkout-clb",
                    "Reason": "No active back-end instances",
                    "Estimated Monthly Savings": "$18.25",
                },
            ),
            # Savings halve at step 4: the cluster went from four nodes to two
            Finding(
                "G31sQ1E9U",
                "analytics-dev",
                "eu-west-1",
                "warning",
                _redshift("4 x ra3.4xlarge", "$9,384.96"),
                clears=4,
            ),
            Finding(
                "G31sQ1E9U",
                "analytics-dev",
                "eu-west-1",
                "warning",
                _redshift("2 x ra3.4xlarge", "$4,692.48"),
                appears=4,
            ),
            Finding(
                "H7IgTzjTYb",
                "vol-0d1e2f3a4b5c6d7e8",
                "eu-west-1",
                "warning",
                {
                    "Region": "eu-west-1",
                    "Volume ID": "vol-0d1e2f3a4b5c6d7e8",
                    "Volume Name": "build-cache",
                    "Volume Attachment": "attached",
                    "Status": "Yellow",
                    "Reason": "No snapshot",
                },
            ),
            Finding(
                "lN7RR0l7J9",
                "eu-west-1/vpc-eips",
                "eu-west-1",
                "error",
                {
                    "Region": "eu-west-1",
                    "Service": "VPC",
                    "Limit Name": "EC2-VPC Elastic IPs",
                    "Limit Amount": "5",
                    "Current Usage": "5",
                    "Status": "Red",
                },
            ),
            # New at step 8
            Finding(
                "ZRxQlPsb6c",
                "i-0f9e8d7c6b5a49382",
                "us-east-1",
                "warning",
                {
                    "Region/AZ": "us-east-1c",
                    "Instance ID": "i-0f9e8d7c6b5a49382",
                    "Instance Name": "ci-runner-2",
                    "Instance Type": "c5.large",
                    **high_cpu,
                    "14-Day Average CPU Utilization": "96.2%",
                    "Number of Days over 90% CPU Utilization": "14",
                },
                appears=8,
            ),
        ),
    }


def event_arn(region: str, service: str, type_code: str, suffix: str) -> str:
    return f"arn:aws:health:{region}::event/{service}/{type_code}/{type_code}_{suffix}"


def _events(step: timedelta) -> dict[str, tuple[Event, ...]]:
    ec2_issue = Event(
        arn=event_arn("us-east-1", "EC2", "AWS_EC2_OPERATIONAL_ISSUE", "7QK2P_1D3F9"),
        service="EC2",
        type_code="AWS_EC2_OPERATIONAL_ISSUE",
        category="issue",
        region="us-east-1",
        scope="ACCOUNT_SPECIFIC",
        availability_zone="us-east-1a",
        starts=-timedelta(minutes=12),
        updates=(
            Update(
                0,
                "open",
                "IMPAIRED",
                "We are investigating network connectivity issues for some EC2 instances "
                "in a single Availability Zone (use1-az4) in the US-EAST-1 Region. Other Availability Zones are "
                "not affected.",
            ),
            Update(
                2,
                "open",
                "IMPAIRED",
                "We have identified the root cause of the network connectivity issues "
                "affecting some EC2 instances in a single Availability Zone (use1-az4) in the US-EAST-1 Region "
                "and are working toward recovery. Affected instances are starting to recover.",
            ),
            Update(
                5,
                "closed",
                "RESOLVED",
                "[RESOLVED] Earlier today some EC2 instances in a single Availability "
                "Zone (use1-az4) in the US-EAST-1 Region experienced network connectivity issues. The issue has "
                "been resolved and the service is operating normally.",
            ),
        ),
        entities=(
            Entity("i-04f7c1a9e2b3d5f60", {"team": "payments", "service": "checkout", "Name": "checkout-api-1"}),
            Entity("i-09b2e8d4c6a1f3e57", {"team": "payments", "service": "checkout", "Name": "checkout-api-2"}),
        ),
    )
    retirement = Event(
        arn=event_arn("eu-west-1", "EC2", "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", "A1B2C3D4_9F8E7D"),
        service="EC2",
        type_code="AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
        category="scheduledChange",
        region="eu-west-1",
        scope="ACCOUNT_SPECIFIC",
        starts=timedelta(days=14),
        lasts=timedelta(hours=2),
        updates=(
            Update(
                0,
                "upcoming",
                "PENDING",
                "EC2 has detected degradation of the underlying hardware hosting your "
                "Amazon EC2 instance in the eu-west-1 region. We will stop the instance at the start of this "
                "event. Stopping and starting the instance before then moves it to healthy hardware.",
            ),
        ),
        entities=(Entity("i-0c3d5e7f9a1b2c4d6", {"team": "payments", "service": "ledger", "Name": "ledger-worker-3"}),),
    )
    runtime = Event(
        arn=event_arn("us-east-1", "LAMBDA", "AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT", "5T9W2X_PY39"),
        service="LAMBDA",
        type_code="AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
        category="accountNotification",
        region="us-east-1",
        scope="ACCOUNT_SPECIFIC",
        starts=-timedelta(days=3),
        updates=(
            Update(
                0,
                "open",
                "UNKNOWN",
                "Your AWS account has one or more AWS Lambda functions that use the Python "
                "3.9 runtime. Lambda is ending support for Python 3.9, following its end of life. Update these "
                "functions to Python 3.12 or later.",
            ),
        ),
        entities=(
            Entity(f"arn:aws:lambda:us-east-1:{PRODUCTION}:function:payments-webhook-relay", {"team": "payments"}),
            Entity(f"arn:aws:lambda:us-east-1:{PRODUCTION}:function:nightly-fx-rates", {"team": "finance"}),
        ),
    )
    s3_public = Event(
        arn=event_arn("us-west-2", "S3", "AWS_S3_OPERATIONAL_ISSUE", "R4ND0M_PUB1C"),
        service="S3",
        type_code="AWS_S3_OPERATIONAL_ISSUE",
        category="issue",
        region="us-west-2",
        scope="PUBLIC",
        starts=step - timedelta(minutes=3),
        updates=(
            Update(
                1,
                "open",
                "UNKNOWN",
                "We are investigating increased error rates for S3 PUT requests in the US-WEST-2 Region.",
            ),
            Update(
                7,
                "closed",
                "RESOLVED",
                "[RESOLVED] Increased S3 PUT error rates in the US-WEST-2 Region have "
                "recovered. The service is operating normally.",
            ),
        ),
    )
    rds_maintenance = Event(
        arn=event_arn("eu-west-1", "RDS", "AWS_RDS_MAINTENANCE_SCHEDULED", "8HJ3K_2PG16"),
        service="RDS",
        type_code="AWS_RDS_MAINTENANCE_SCHEDULED",
        category="scheduledChange",
        region="eu-west-1",
        scope="ACCOUNT_SPECIFIC",
        starts=timedelta(days=7),
        lasts=timedelta(minutes=30),
        updates=(
            Update(
                0,
                "upcoming",
                "PENDING",
                "A required maintenance update for your Amazon RDS for PostgreSQL DB "
                "instance is scheduled during its next maintenance window. The instance is unavailable for a few "
                "minutes while the update is applied.",
            ),
        ),
        entities=(Entity("platform-dev-postgres", {"team": "platform", "environment": "development"}),),
    )
    ebs_degraded = Event(
        arn=event_arn("us-east-1", "EBS", "AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE", "6V0L_C4CHE"),
        service="EBS",
        type_code="AWS_EBS_DEGRADED_EBS_VOLUME_PERFORMANCE",
        category="issue",
        region="us-east-1",
        scope="ACCOUNT_SPECIFIC",
        starts=4 * step - timedelta(minutes=2),
        updates=(
            Update(
                4,
                "open",
                "IMPAIRED",
                "An Amazon EBS volume attached to one of your instances in the US-EAST-1 "
                "Region is experiencing degraded performance because of a problem with the underlying storage. "
                "Replace the volume from a recent snapshot.",
            ),
        ),
        entities=(Entity("vol-0e4f6a8b0c2d4e6f8", {"team": "platform", "Name": "ci-runner-cache"}),),
    )
    return {
        PRODUCTION: (ec2_issue, retirement, runtime, s3_public),
        DEVELOPMENT: (rds_maintenance, ebs_degraded, s3_public),
    }


def _alarms() -> tuple[Alarm, ...]:
    """The checkout API's 5xx alarm fires at step 2 and clears at step 6."""
    return (
        Alarm(
            account_id=PRODUCTION,
            region="us-east-1",
            name="payments-checkout-api-5xx",
            description="More than 10 requests a minute to the checkout API fail with a 5xx.",
            namespace="AWS/ApplicationELB",
            metric="HTTPCode_Target_5XX_Count",
            dimensions={"LoadBalancer": "app/checkout-api/50dc6c495c0c9188"},
            statistic="SUM",
            period=60,
            comparison="GreaterThanOrEqualToThreshold",
            threshold=10.0,
            changes=(
                AlarmChange(
                    2,
                    "ALARM",
                    "Threshold Crossed: 1 out of the last 1 datapoints [37.0] was greater than or equal to the "
                    "threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).",
                ),
                AlarmChange(
                    6,
                    "OK",
                    "Threshold Crossed: 1 out of the last 1 datapoints [0.0] was not greater than or equal to the "
                    "threshold (10.0) (minimum 1 datapoint for ALARM -> OK transition).",
                ),
            ),
        ),
    )


def demo(clock: Clock) -> World:
    """Production (Enterprise), development (Business) and a website account on Basic, in one organisation."""
    accounts = [
        Account(
            PRODUCTION,
            "Payments production",
            "aws-payments-prod@example.com",
            "enterprise",
            datetime(2019, 3, 12, 9, 30, tzinfo=UTC),
        ),
        Account(
            DEVELOPMENT,
            "Platform development",
            "aws-platform-dev@example.com",
            "business",
            datetime(2020, 6, 1, 14, 5, tzinfo=UTC),
        ),
        Account(
            BASIC,
            "Marketing website",
            "aws-marketing-web@example.com",
            "basic",
            datetime(2022, 1, 18, 11, 0, tzinfo=UTC),
        ),
        Account(
            SUSPENDED,
            "Old experiments",
            "aws-experiments@example.com",
            "basic",
            datetime(2018, 9, 3, 8, 45, tzinfo=UTC),
            state="SUSPENDED",
        ),
    ]
    return World(
        clock=clock,
        accounts={a.id: a for a in accounts},
        default_account_id=PRODUCTION,
        organization_id="o-sbx4demo01",
        management_account_id=PRODUCTION,
        findings=_findings(),
        events=_events(timedelta(seconds=clock.step_seconds)),
        alarms=_alarms(),
        cases={PRODUCTION: (_EXPOSED_KEY,)},
        security_findings=_security_findings(),
    )


_EXPOSED_KEY = OpenedByAws(  # the words are the demo's own; the shape is AWS's (tools/sandbox/support.py)
    subject="Your AWS Access Key is Exposed [AWS ID 111122223333]",
    service_code="customer-account",
    category_code="security",
    severity_code="urgent",
    body=(
        "Hello,\n\nWe have become aware that the AWS Access Key AKIAIOSFODNN7EXAMPLE, belonging to IAM user "
        "deploy-bot in account 111122223333, along with the corresponding Secret Key, is publicly available online "
        "at https://github.com/example/payments-deploy/blob/main/.env.\n\nTo protect your account, please rotate "
        "the key now: create a new key, use it in your applications, then delete the exposed one. Check CloudTrail "
        "for activity you do not recognise.\n\nPlease reply to this case when you have done so.\n\n"
        "Sincerely,\nAmazon Web Services"
    ),
    appears=4,
)


def _security_findings() -> dict[str, tuple[SecurityFinding, ...]]:
    """An open port on a production security group, GuardDuty seeing an instance call a C&C domain two steps in, and
    a development bucket whose public access is blocked (its control passing) at step 10."""
    control = ("Software and Configuration Checks/Industry and Regulatory Standards",)
    return {
        PRODUCTION: (
            SecurityFinding(
                "securityhub",
                "security-control/EC2.19/finding/3a4c1c05-7f61-4e1c-9c7e-3b5f0c2b1d9e",
                "eu-west-1",
                "Security groups should not allow unrestricted access to ports with high risk",
                "CRITICAL",
                "AwsEc2SecurityGroup",
                "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f67890",
                "security-control/EC2.19",
                control,
                tags={"team": "payments"},
            ),
            SecurityFinding(
                "guardduty",
                "detector/12abc34d567e8fa901bc2d34e56789f0/finding/a4c6b2c0b1a5e9e5f1d3c7a2b8e6f0d4",
                "eu-west-1",
                "Command and Control server domain name queried by EC2 instance i-0a1b2c3d4e5f60718.",
                "HIGH",
                "AwsEc2Instance",
                "arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f60718",
                "arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0",
                ("TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS",),
                appears=2,
                tags={"team": "payments"},
            ),
        ),
        DEVELOPMENT: (
            SecurityFinding(
                "securityhub",
                "security-control/S3.8/finding/7d2e9f41-2b7c-4c55-8a0e-5c1f3e2d9b60",
                "us-east-1",
                "S3 general purpose buckets should block public access",
                "HIGH",
                "AwsS3Bucket",
                "arn:aws:s3:::platform-dev-artifacts",
                "security-control/S3.8",
                control,
                passes=10,
            ),
        ),
    }
