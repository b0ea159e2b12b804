"""Template helpers for showing sessions safely."""

from django import template
from django.core.exceptions import ValidationError

from bookings.meeting_links import canonicalize_meeting_link

register = template.Library()


@register.filter
def safe_meeting_link(link: str) -> str:
    """The link if it is a valid meeting link, else "" — so a bad value that reached the
    database some other way (a shell, a raw UPDATE) is never rendered as a clickable href."""
    if not link:
        return ""
    try:
        return canonicalize_meeting_link(link)
    except ValidationError:
        return ""
