from datetime import date

from oncall.models import Layer, LayerMember, Schedule


def oncall_layer(queue, name, *people, position=None, zone="Europe/London", shift="weekly", start=date(2026, 3, 2)):
    """A layer of the queue's schedule (made on first use): weekly, Mondays 09:00 in London, from 2 March 2026."""
    schedule, _ = Schedule.objects.get_or_create(queue=queue)
    layer = Layer.objects.create(
        schedule=schedule,
        position=position or schedule.layers.count() + 1,
        name=name,
        time_zone=zone,
        shift=shift,
        start_date=start,
    )
    LayerMember.objects.bulk_create(LayerMember(layer=layer, user=p, position=i) for i, p in enumerate(people))
    return layer
