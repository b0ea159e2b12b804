"""Template helpers for mentor profiles and session feedback."""

from django import template

from bookings.models import Status
from mentors import selectors
from mentors.forms import FeedbackForm
from mentors.validation import safe_profile_url

register = template.Library()


@register.filter
def safe_profile_link(url: str, site: str) -> str:
    """The canonical https LinkedIn/GitHub profile link, or "" — re-validated on every
    render, so a value that reached the database some other way (a shell, a raw UPDATE,
    an old row) is never rendered as a javascript: or look-alike href."""
    return safe_profile_url(url, site)


@register.inclusion_tag("mentors/_session_feedback.html", takes_context=True)
def session_feedback(context, session) -> dict:
    """The feedback block of a session page: the mentee's form once the session is
    completed, then the rating given (which the mentor sees too). Reads the database only
    for a completed session."""
    user = context["request"].user
    feedback = selectors.session_feedback(session)
    is_mentee = session.mentee_id == user.pk
    return {
        "session": session,
        "feedback": feedback,
        "is_mentee": is_mentee,
        "can_leave_feedback": is_mentee and session.status == Status.COMPLETED and feedback is None,
        "form": FeedbackForm(),
    }
