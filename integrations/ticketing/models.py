"""Where findings and Health events become tickets: the tag routes to queues."""

from django.db import models

from tickets.models import Queue


class TagRoute(models.Model):
    """Sends findings whose affected resources carry a tag to a queue; untagged ones go to the owner queue."""

    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower wins when several tags match.")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["tag_key", "tag_value"], name="tag_route_unique")]

    def __str__(self) -> str:
        return f"{self.tag_key}={self.tag_value} → {self.queue}"
