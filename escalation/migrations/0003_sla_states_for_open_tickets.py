from django.db import migrations

OPEN = ["new", "acknowledged", "in_progress", "waiting_requester", "waiting_aws"]
BATCH = 2000


def arm(apps, schema_editor):
    """Open tickets filed before SLA states existed get one, so the sweep records their breaches too."""
    Ticket = apps.get_model("tickets", "Ticket")
    TicketSlaState = apps.get_model("escalation", "TicketSlaState")
    rows = (
        Ticket.objects.filter(status__in=OPEN)
        .order_by("pk")
        .values_list("pk", "acknowledged_at", "response_due_at", "resolution_due_at")
    )
    batch = []
    for pk, acknowledged_at, response_due_at, resolution_due_at in rows.iterator(chunk_size=BATCH):
        due = resolution_due_at if acknowledged_at else min(response_due_at, resolution_due_at)
        batch.append(TicketSlaState(ticket_id=pk, next_check_at=due))
        if len(batch) == BATCH:
            TicketSlaState.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    TicketSlaState.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0002_schedule_sweeps")]
    # Backwards there is nothing to undo: the states go with their table when 0001 is reversed.
    operations = [migrations.RunPython(arm, migrations.RunPython.noop)]
