"""{% cancel_window session user as window %}: may this viewer cancel the session, and until
when (bookings.cancellation) — computed from loaded rows, no query."""

from django import template

from bookings import cancellation
from bookings.models import MentoringSession

register = template.Library()


@register.simple_tag
def cancel_window(session: MentoringSession, user) -> cancellation.CancelWindow:
    return cancellation.window(session, user)
