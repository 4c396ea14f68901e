"""What an AWS failure means for the person reading the account page, in words."""

from awsgateway.errors import AwsAccessDenied, AwsError, AwsPlanTooLow

PLAN_TOO_LOW_NOTE = (
    "The AWS Support and Health APIs need a Business-level support plan or higher (Business, Business Support+, "
    "Enterprise On-Ramp, Enterprise, Unified Operations). This account's plan does not include them, so Trusted "
    "Advisor checks and Health events cannot be read and AWS Support cases cannot be opened from here."
)
PERMISSIONS_NOTE = (
    "Grant the role support:Describe*, health:Describe* and, for an organisation, organizations:ListAccounts "
    "(see docs/aws-setup.md)."
)


def aws_error_advice(exc: AwsError) -> str:
    if isinstance(exc, AwsPlanTooLow):
        return PLAN_TOO_LOW_NOTE
    if isinstance(exc, AwsAccessDenied):
        return f"{exc} {PERMISSIONS_NOTE}"
    return str(exc)
