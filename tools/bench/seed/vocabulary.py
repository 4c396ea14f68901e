"""The words seeded tickets are made of: names, services, titles, descriptions, comments."""

from tickets.models import Ticket

# The word lists keep `# fmt: skip`: packed, a list fits on a screen; one word per line it would take 400 lines.

FIRST_NAMES = [
    "Ada", "Alan", "Amara", "Ana", "Ben", "Chen", "Clara", "Dev", "Diego", "Elif", "Emma", "Femi", "Grace", "Hana",
    "Ivan", "Jon", "Kai", "Lena", "Lucia", "Mara", "Mateo", "Mei", "Nia", "Noor", "Omar", "Priya", "Ravi", "Sara",
    "Tomas", "Yuki",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
    "Larsen", "Moreau", "Nakamura", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Santos", "Schmidt", "Silva",
    "Tanaka", "Ueda", "Vargas", "Weber", "Wong", "Yilmaz", "Zhang", "Ziegler",
]  # fmt: skip
SERVICES = [
    "checkout-api", "payments", "search", "auth-service", "orders-db", "reporting", "mobile-backend", "data-lake",
    "web-frontend", "billing-worker",
]  # fmt: skip
TITLES: dict[str, list[str]] = {
    Ticket.Kind.INCIDENT: [
        "High latency on {s}", "5xx errors from {s}", "Timeouts calling {s}", "Deployment of {s} failed",
        "Disk full on {s} hosts", "{s} pods crash-looping", "Replication lag on {s}", "Queue backlog in {s}",
        "Certificate for {s} expires soon", "Memory pressure on {s}",
    ],
    Ticket.Kind.SERVICE_REQUEST: [
        "New S3 bucket for {s}", "Increase RDS storage for {s}", "DNS record for {s}", "IAM role for {s}",
        "Raise Lambda concurrency for {s}", "New staging environment for {s}", "VPC peering for {s}",
        "Backup restore test for {s}",
    ],
    Ticket.Kind.IT_REQUEST: [
        "Laptop replacement ({s} team)", "VPN access for the {s} team", "Reset MFA device ({s})",
        "Software licence for the {s} team", "Shared mailbox for {s}", "Access to the {s} dashboard",
    ],
    Ticket.Kind.AWS_FINDING: [
        "Security group open to 0.0.0.0/0 ({s})", "Unencrypted S3 bucket {s}-logs", "Unused EBS volumes ({s})",
        "IAM user without MFA ({s})", "Public snapshot of {s}", "Idle load balancer for {s}",
        "Underused RDS instance {s}",
    ],
    Ticket.Kind.AWS_HEALTH: [
        "AWS Health: EC2 scheduled maintenance ({s})", "AWS Health: RDS engine upgrade for {s}",
        "AWS Health: Lambda runtime end of support ({s})", "AWS Health: operational issue affecting {s}",
    ],
    Ticket.Kind.READINESS_ACTION: [
        "Readiness: add alarms for {s}", "Readiness: define RTO and RPO for {s}", "Readiness: enable backups for {s}",
        "Readiness: load test {s}", "Readiness: runbook for {s}",
    ],
}  # fmt: skip
SENTENCES = [
    "Customers started reporting the problem shortly after the morning deploy.",
    "Error rates are above the alarm threshold in eu-west-1 and climbing slowly.",
    "We rolled back the last change but the symptoms persist.",
    "This blocks the release planned for the end of the week.",
    "Attached are the CloudWatch graphs for the last six hours.",
    "The workaround is to retry, which most clients do automatically.",
    "Only the production account seems affected; staging looks healthy.",
    "Please coordinate with the database team before any restart.",
    "Cost Explorer shows the spend doubling since the start of the month.",
    "The request was approved by the team lead in the planning meeting.",
    "Nothing changed on our side as far as we know.",
    "The runbook step for failover did not work as documented.",
    "Happy to join a call if that helps to speed things up.",
    "Latency p99 went from 180 ms to more than 2 seconds.",
    "The finding was raised by Security Hub during the weekly scan.",
]
COMMENTS = [
    "Thanks, looking into it now.",
    "Can you share the request ids of a few failing calls?",
    "We found the cause: a misconfigured health check. Fix is rolling out.",
    "Still seeing errors on our side.\n\nAttaching the latest logs.",
    "Internal: same pattern as last month's incident; check the NAT gateway limits.",
    "The change is scheduled for tonight's maintenance window.",
    "Confirmed fixed from our side, thanks for the quick help!",
    "Waiting on AWS support (case opened), will update when they answer.",
    "Increased the limit; please try again.",
    "Internal: customer is on the enterprise plan, keep them posted hourly.",
]
RESOLUTION_NOTES = [
    "Fixed by rolling back the deploy.",
    "Limit raised.",
    "Access granted.",
    "Duplicate of an older ticket.",
]
ESCALATION_REASONS = ["No progress within the target.", "Customer impact is growing.", "Needs the database team."]
TAGS = [
    "billing", "customer-impact", "data-loss", "ec2", "eks", "iam", "lambda", "latency", "migration", "outage", "rds",
    "s3", "security", "vpn", "windows",
]  # fmt: skip
