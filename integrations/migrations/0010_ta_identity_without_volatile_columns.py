"""Existing checks drop the columns that change under a flagged resource from their stored identity, and their
findings are re-keyed in place: no finding is opened, reopened or cleared here.

New checks get such identities from ``identity_headings_default``; stored ones are kept as learned (an admin may
have set them), so only the volatile columns are taken out, nothing is added back (say, a type the resize rule
would now leave out). Where a refresh had already split one resource into several findings, the open one most
recently changed takes the new key; its twins keep their old keys, which no poll or push matches any more, so the
next poll clears those still open. Reversing leaves the data as it is: the code before this reads the stored
identity, which is consistent with every key.
"""

import hashlib
import json
import re

from django.db import migrations

# Frozen copies of integrations.services.trusted_advisor's rule and key as of this migration
_VOLATILE = re.compile(
    r"\b(status|savings?|costs?|usage|average|days?|\d+-day|utili[sz]ation|percent|reason|last|date|age|amount|"
    r"hours|price|estimated|count|number|size|time|updated|deadline|case|location|fraud|allows?|attachment|"
    r"ignored)\b",
    re.IGNORECASE,
)


def _resource_key(check_id: str, identity_headings: list[str], details: dict[str, str]) -> str:
    values = [[h, details.get(h, "").strip().casefold()] for h in identity_headings]
    return hashlib.sha256(json.dumps([check_id, values]).encode()).hexdigest()


def identities_drop_volatile_columns(apps, schema_editor) -> None:
    check_model = apps.get_model("integrations", "TrustedAdvisorCheck")
    finding_model = apps.get_model("integrations", "Finding")
    group_model = apps.get_model("integrations", "FindingGroup")
    for check in check_model.objects.all():
        identity = [h for h in check.identity_headings if not _VOLATILE.search(h)]
        if identity == check.identity_headings or not identity:
            continue
        check.identity_headings = identity
        check.save(update_fields=["identity_headings"])
        taken: set[tuple[int, str]] = set()
        findings = finding_model.objects.filter(ta_check=check).order_by("account_id", "-is_open", "-changed_at", "pk")
        for finding in findings.iterator():
            key = _resource_key(check.check_id, identity, finding.details)
            if (finding.account_id, key) in taken:
                continue  # a twin a refresh made
            taken.add((finding.account_id, key))
            # A ticket of its own (per-resource ticketing) is keyed like its finding
            group_model.objects.filter(pk=finding.group_id, resource_key=finding.resource_key).update(resource_key=key)
            finding.resource_key = key
            finding.save(update_fields=["resource_key"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0009_finding_dashboard_indexes")]

    operations = [migrations.RunPython(identities_drop_volatile_columns, migrations.RunPython.noop, elidable=True)]
