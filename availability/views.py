"""The mentor's availability editor /mentor/availability/ (approved mentors only)."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.models import is_mentor
from availability.forms import ExceptionForm, WeeklyWindowForm
from availability.models import AvailabilityException, WeeklyAvailability
from availability.slots import next_free_slots

PREVIEW_SLOTS = 8


def mentor_required(view):
    """Anonymous → login page; logged in but not an approved mentor → 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_mentor(request.user):
            raise PermissionDenied("Only approved mentors can set availability.")
        return view(request, *args, **kwargs)

    return wrapper


def _render(request: HttpRequest, *, weekly_form=None, exception_form=None, status=200):
    mentor = request.user
    today = timezone.now().astimezone(mentor.zone).date()
    context = {
        "weekly": list(WeeklyAvailability.objects.filter(mentor=mentor)),
        "exceptions": list(AvailabilityException.objects.filter(mentor=mentor, date__gte=today)),
        "weekly_form": weekly_form or WeeklyWindowForm(mentor=mentor),
        "exception_form": exception_form or ExceptionForm(mentor=mentor),
        "preview": next_free_slots(mentor, limit=PREVIEW_SLOTS),
        "preview_minutes": mentor.mentor_profile.default_session_minutes,
        "notice_hours": settings.BOOKING_MIN_NOTICE_HOURS,
        "horizon_days": settings.BOOKING_HORIZON_DAYS,
    }
    return render(request, "availability/editor.html", context, status=status)


@mentor_required
@require_safe
def editor(request: HttpRequest) -> HttpResponse:
    return _render(request)


@mentor_required
@require_POST
def add_weekly(request: HttpRequest) -> HttpResponse:
    form = WeeklyWindowForm(request.POST, mentor=request.user)
    if not form.is_valid():
        return _render(request, weekly_form=form, status=400)
    window = form.save()
    messages.success(request, f"Added {window}.")
    return redirect("availability_editor")


@mentor_required
@require_POST
def delete_weekly(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(WeeklyAvailability, pk=pk, mentor=request.user)
    window.delete()
    messages.success(request, f"Removed {window}. Sessions already booked are not affected.")
    return redirect("availability_editor")


@mentor_required
@require_POST
def add_exception(request: HttpRequest) -> HttpResponse:
    form = ExceptionForm(request.POST, mentor=request.user)
    if not form.is_valid():
        return _render(request, exception_form=form, status=400)
    exception = form.save()
    messages.success(request, f"Added {exception}.")
    return redirect("availability_editor")


@mentor_required
@require_POST
def delete_exception(request: HttpRequest, pk: int) -> HttpResponse:
    exception = get_object_or_404(AvailabilityException, pk=pk, mentor=request.user)
    exception.delete()
    messages.success(request, f"Removed {exception}.")
    return redirect("availability_editor")
