"""What every page of the staff area under /admin/ shares: the staff check, and keeping
a list's own filters across a POST → redirect (never an arbitrary redirect target)."""

import re
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from django.urls import reverse

# ASCII digits only: str.isdigit() accepts "²", which int() then refuses (a 500).
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,17}")


def staff_required(view):
    """Anonymous → login page; logged in but not staff → 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("The admin area is for staff only.")
        return view(request, *args, **kwargs)

    return wrapper


def kept_query(raw: object, keys: tuple[str, ...]) -> str:
    """Only the named parameters of a query string, each at most 100 characters."""
    params = QueryDict(raw[:2000] if isinstance(raw, str) else "")
    return urlencode([(key, params[key][:100]) for key in keys if params.get(key)])


def list_url(url_name: str, raw_query: object, keys: tuple[str, ...]) -> str:
    """The list page `url_name` with the filters of `raw_query` that it understands."""
    query = kept_query(raw_query, keys)
    return reverse(url_name) + (f"?{query}" if query else "")
