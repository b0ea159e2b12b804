"""What every page of the staff area under /admin/ shares: the staff check, a list's
filter form and paging, and keeping a list's own filters across a POST → redirect (never
an arbitrary redirect target)."""

import re
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict
from django.urls import reverse

FILTERS_IGNORED = "Some filters were not understood and were ignored."
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


@dataclass(frozen=True)
class ListFilters:
    """A staff list's filter form, bound to the request, and the query strings its page
    keeps: `filter_query` for the actions' redirects back (the page included),
    `filters_without_page` for the paging links, and `dialog_link`, the start of a link that
    opens a row's dialog without JavaScript (`?status=pending&dialog=`, then `confirm-12`)."""

    form: forms.Form
    filter_query: str
    filters_without_page: str

    def context(self) -> dict[str, object]:
        return {
            "form": self.form,
            "filter_query": self.filter_query,
            "filters_without_page": self.filters_without_page,
            "dialog_link": f"?{self.filter_query}&dialog=" if self.filter_query else "?dialog=",
        }


def list_filters(
    request: HttpRequest,
    form_class: type[forms.Form],
    keys: tuple[str, ...],
    paging: tuple[str, ...] = ("page",),
) -> ListFilters:
    """Bind `form_class` to the query string and warn once about what it refused.

    A paging field's error (a broken keyset cursor) is a warning of its own, since it is no
    filter. The form's `filters()` drops every other refused value and the form shows why,
    so one general warning says that some were dropped."""
    form = form_class(request.GET or None)
    warnings: list[str] = []
    if form.is_bound and not form.is_valid():
        for key in paging:
            warnings += form.errors.pop(key, [])
        if form.errors:
            warnings.append(FILTERS_IGNORED)
    for warning in warnings:
        messages.warning(request, warning)
    without_page = urlencode([(k, v) for k, v in request.GET.items() if k not in paging])
    return ListFilters(
        form=form,
        filter_query=kept_query(request.GET.urlencode(), keys),
        filters_without_page=kept_query(without_page, keys),
    )


def numbered_page(
    request: HttpRequest, items, per_page: int, *, say_if_broken: bool = True
) -> Page:
    """The page `?page=` names, or the nearest one there is (`Paginator.get_page`). A value
    that is no page number at all is also said in a warning, unless `say_if_broken` is off."""
    requested = request.GET.get("page", "")
    page = Paginator(items, per_page).get_page(requested)
    if say_if_broken and requested and not PAGE_NUMBER.fullmatch(requested):
        messages.warning(
            request, f"There is no page “{requested[:20]}”; showing page {page.number}."
        )
    return page
