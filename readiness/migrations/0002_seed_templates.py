from django.db import migrations

OPS, SEC, REL, PERF, COST = "operational_excellence", "security", "reliability", "performance", "cost"

TEMPLATES = [
    (
        "Operational readiness (quarterly)",
        "A quarterly check that a workload is still run as it should be: observable, secure, recoverable, "
        "and not wasting money.",
        "Any production workload",
        False,
        [
            (OPS, "Is there a current runbook for the workload's common failures?",
             "Linked from the alarms; tried by someone other than its author in the last quarter."),
            (OPS, "Do alarms cover what customers notice, and do they page the owner queue's on-call?",
             "Error rate, latency and saturation at the edge, not only CPU. Check who is paged, and that they were."),
            (OPS, "Did every change last quarter go through the pipeline, with a rollback that works?",
             "Count manual changes; a rollback that was never exercised does not count."),
            (SEC, "Is access least-privilege and reviewed?",
             "No unused IAM users or keys, keys rotated, no wildcard admin roles, MFA on every human login."),
            (SEC, "Are the account's security findings triaged?",
             "Trusted Advisor and Security Hub findings have a ticket or an accepted-risk note."),
            (REL, "Are backups taken, and was a restore tested this quarter?",
             "Name the restore test and how long it took against the recovery time objective."),
            (REL, "Does the workload survive the loss of one Availability Zone?",
             "Multi-AZ databases and at least two instances or tasks behind the load balancer."),
            (REL, "Are service quotas checked against the expected peak?",
             "Trusted Advisor's service limit checks; headroom for a traffic spike or a failover."),
            (PERF, "Are the scaling limits known and load-tested?",
             "The last load test, its peak, and what broke first."),
            (COST, "Are cost-optimisation findings reviewed and idle resources removed?",
             "Idle instances, unattached volumes, old snapshots, rightsizing advice."),
            (COST, "Is every resource tagged with its owner and cost centre?", ""),
        ],
    ),
    (
        "Post-incident review",
        "Opened automatically when a SEV1 or SEV2 incident is resolved, with its timeline copied in. "
        "Blameless: the aim is to change the system, not to find someone at fault.",
        "A resolved SEV1 or SEV2 incident",
        True,
        [
            (OPS, "What happened, and what was the impact?",
             "Who was affected, for how long and how badly, in numbers. Use the timeline below."),
            (OPS, "How was it detected, and how long until someone responded?",
             "An alarm, a customer, or luck? Compare with the severity's response target."),
            (REL, "What was the root cause, and what contributed?",
             "Ask “why” until you reach something you can change; name conditions, not people."),
            (OPS, "What slowed the response or the recovery?",
             "Missing runbooks, access, dashboards, or people; handovers that lost time."),
            (REL, "What would stop it recurring, or limit its blast radius next time?",
             "Each answer worth doing becomes an action item below."),
            (SEC, "Was any data, credential or access exposed?", "If so, say who was told and when."),
            (OPS, "Did customers and stakeholders hear from us in time?", ""),
        ],
    ),
]


def seed(apps, schema_editor):
    ReviewTemplate = apps.get_model("readiness", "ReviewTemplate")
    TemplateQuestion = apps.get_model("readiness", "TemplateQuestion")
    for name, description, scope, for_post_incident, questions in TEMPLATES:
        template, created = ReviewTemplate.objects.get_or_create(
            name=name, defaults={"description": description, "scope": scope, "for_post_incident": for_post_incident}
        )
        if created:
            TemplateQuestion.objects.bulk_create(
                TemplateQuestion(template=template, position=n, pillar=pillar, text=text, guidance=guidance)
                for n, (pillar, text, guidance) in enumerate(questions, start=1)
            )


def unseed(apps, schema_editor):
    names = [t[0] for t in TEMPLATES]
    apps.get_model("readiness", "ReviewTemplate").objects.filter(name__in=names, reviews=None).delete()


class Migration(migrations.Migration):
    dependencies = [("readiness", "0001_reviews")]
    operations = [migrations.RunPython(seed, unseed)]
