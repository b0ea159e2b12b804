"""The staff area for mentor applications: /admin/mentors/ (review, approve, reject)."""

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.models import ApplicationStatus, MentorProfile
from common.admin_area import list_filters, list_url, numbered_page, staff_required
from mentors import selectors, services
from mentors.forms import ApplicationFilterForm, RejectApplicationForm

PAGE_SIZE = 25
FILTER_KEYS = ("status", "q", "page")
DIALOG = re.compile(r"reject-[1-9][0-9]{0,17}")
# Carries a refused rejection back to the list so its dialog re-opens with the error.
RETRY_KEY = "admin_mentors_retry"


def applications_url(raw_query: str = "") -> str:
    return list_url("admin_mentors", raw_query, FILTER_KEYS)


@staff_required
@require_safe
def application_list(request: HttpRequest) -> HttpResponse:
    listed = list_filters(request, ApplicationFilterForm, FILTER_KEYS)
    items = selectors.applications(listed.form.filters())
    page = numbered_page(request, items, PAGE_SIZE, say_if_broken=False)
    retry = request.session.pop(RETRY_KEY, None)
    requested = request.GET.get("dialog", "")
    open_dialog = retry["dialog"] if retry else (requested if DIALOG.fullmatch(requested) else "")
    return render(
        request,
        "mentors/admin/application_list.html",
        {
            **listed.context(),
            "page": page,
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
