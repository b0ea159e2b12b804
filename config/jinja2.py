"""The Jinja2 environment for the few partials rendered for every row of a long list (the
sessions dashboard's table rows), where Django's template language costs several times
more per row. Pages themselves stay Django templates extending base.html; a view renders
a partial with `render_partial` and hands the HTML to its page.

Only what those partials need is here, each the same as its Django template counterpart:
`url` ({% url %} for a URL with one id: common/urls.py), `date` (the |date filter, in
the active time zone) and `safe_meeting_link` (bookings/templatetags/sessions.py)."""

from django.template.backends.utils import csrf_input
from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment, StrictUndefined

from bookings.templatetags.sessions import safe_meeting_link
from common.urls import id_url

# The formats the partials use, written out: the same text as Django's |date gives, at a
# tenth of the cost (these run twice per row). Any other format goes through Django.
_FAST_FORMATS = {
    "Y-m-d": lambda moment: f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}",
    "H:i": lambda moment: f"{moment.hour:02d}:{moment.minute:02d}",
}


def _date(value, format_string: str) -> str:
    if not value:
        return ""
    local = template_localtime(value)
    fast = _FAST_FORMATS.get(format_string)
    return fast(local) if fast else dateformat.format(local, format_string)


def environment(**options) -> Environment:
    options["undefined"] = StrictUndefined  # a misspelt name fails loudly, in tests too
    env = Environment(**options)
    env.globals.update(url=id_url)
    env.filters.update(date=_date, safe_meeting_link=safe_meeting_link)
    return env


def render_partial(template_name: str, context: dict, request) -> SafeString:
    # The backend's `csrf_input` is lazy and masks the token anew each time it is printed
    # (~30 µs), once per form on every row. Masked once here, as {% csrf_token %} does, as
    # `csrf_field` (the backend overwrites a `csrf_input` given in the context).
    context = {**context, "csrf_field": csrf_input(request)}
    return mark_safe(render_to_string(template_name, context, request, using="jinja2"))
