"""The staff area for mentor applications: /admin/mentors/ (review, approve, reject)."""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import ApplicationStatus, MentorProfile
from common.admin_area import kept_query, list_url, staff_required
from mentors import selectors, services
from mentors.forms import ApplicationFilterForm, RejectApplicationForm

PAGE_SIZE = 25
FILTER_KEYS = ("status", "q", "page")
DIALOG = re.compile(r"reject-[1-9][0-9]{0,17}")
# Carries a refused rejection back to the list so its dialog re-opens with the error.
RETRY_KEY = "admin_mentors_retry"


def _filter_query(raw: str) -> str:
    return kept_query(raw, FILTER_KEYS)


def applications_url(raw_query: str = "") -> str:
    return list_url("admin_mentors", raw_query, FILTER_KEYS)


@staff_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    form = ApplicationFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        messages.warning(request, "Some filters were not understood and were ignored.")
    page = Paginator(selectors.applications(form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page", "")
    )
    retry = request.session.pop(RETRY_KEY, None)
    requested = request.GET.get("dialog", "")
    open_dialog = retry["dialog"] if retry else (requested if DIALOG.fullmatch(requested) else "")
    return render(
        request,
        "mentors/admin/application_list.html",
        {
            "form": form,
            "page": page,
            "filter_query": _filter_query(request.GET.urlencode()),
            "filters_without_page": _filter_query(
                urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
            ),
            "open_id": int(open_dialog.partition("-")[2] or 0),
            "retry": retry,
            "ApplicationStatus": ApplicationStatus,
        },
    )


@staff_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(MentorProfile, pk=pk)
    try:
        profile = services.approve_application(profile, by=request.user)
    except services.MentorActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{profile.user.get_full_name()} is now an approved mentor. "
            f"They have been emailed at {profile.user.email}.",
        )
    return redirect(applications_url(request.POST.get("return_query", "")))


@staff_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(MentorProfile, pk=pk)
    back = applications_url(request.POST.get("return_query", ""))
    form = RejectApplicationForm(request.POST)
    if not form.is_valid():
        _refuse(request, pk, form.errors["reason"][0])
        return redirect(back)
    try:
        profile = services.reject_application(
            profile, by=request.user, reason=form.cleaned_data["reason"]
        )
    except services.MentorActionError as error:
        messages.error(request, str(error))
    else:
        request.session.pop(RETRY_KEY, None)
        messages.success(
            request,
            f"{profile.user.get_full_name()}'s application was rejected. They have been "
            f"emailed the reason at {profile.user.email}.",
        )
    return redirect(back)


def _refuse(request: HttpRequest, pk: int, error: str) -> None:
    """Say why, and re-open the reject dialog with what was typed."""
    typed = request.POST.get("reason", "")
    request.session[RETRY_KEY] = {"dialog": f"reject-{pk}", "reason": typed[:600], "error": error}
    messages.error(request, error)
