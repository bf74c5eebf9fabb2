"""The "My queues" block of the admin index: a staff member's work queues with their counts,
the first one being where they start (issue 17, item 5)."""

from django import template
from django.urls import reverse

from ..admin.filters import request_queue_counts

register = template.Library()


@register.inclusion_tag("admin/dossiers/my_queues.html", takes_context=True)
def my_queues(context) -> dict:
    """The person's queues (none without a unit role: the block is then left out)."""
    request = context.get("request")
    if request is None or not getattr(request.user, "is_staff", False):
        return {"queues": []}
    changelist = reverse("admin:dossiers_dossier_changelist")
    return {
        "queues": [
            {"label": queue.label, "count": queue.count, "url": f"{changelist}?queue={queue.name}"}
            for queue in request_queue_counts(request)
        ]
    }
