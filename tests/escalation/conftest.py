from datetime import timedelta

from escalation.models import EscalationPolicy, EscalationStep


def escalation_policy(
    *steps: tuple[str, timedelta] | tuple[str, timedelta, str], name: str = "Page"
) -> EscalationPolicy:
    policy = EscalationPolicy.objects.create(name=name)
    for position, (action, delay, *severity) in enumerate(steps, start=1):
        EscalationStep.objects.create(
            policy=policy, position=position, action=action, delay=delay, aws_severity=severity[0] if severity else ""
        )
    return policy
