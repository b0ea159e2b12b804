"""The reschedule page /sessions/<id>/reschedule/: pick another of the mentor's free times
for the same session (docs/PRODUCT.md §2.7)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from availability.slots import free_slots
from bookings import rescheduling, selectors, services
from bookings.forms import RescheduleForm
from bookings.slot_days import page_of_days, slots_by_day


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Its mentee, its mentor and admins; 404 for anyone else. The rules live in
    bookings/rescheduling.py (whether, until when) and the service (which times)."""
    session = selectors.session_for_mover(request.user, pk)
    if session is None:
        raise Http404("No such session.")
    bound = request.POST if request.method == "POST" else None
    form = RescheduleForm(bound)
    if form.is_bound and form.is_valid():
        start, seen = form.cleaned_data["start"], form.cleaned_data["seen"]
        try:
            if seen and seen != session.start:
                raise services.RescheduleError(services.MOVED_MEANWHILE, code="moved_meanwhile")
            services.reschedule_session(
                session, start=start, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.SessionActionError as error:
            form.add_error(None, str(error))
        else:
            local = timezone.localtime(start)
            zone = timezone.get_current_timezone_name()
            messages.success(request, f"Session moved to {local:%A, %-d %B %Y at %H:%M} ({zone}).")
            return redirect("session_detail", pk=pk)
    window = rescheduling.window(session, request.user, moves=session.mentee_moves)
    chosen = str(request.POST.get("start", ""))[:40] if form.is_bound else ""
    days, earlier, later = _days(session, request.GET.get("from"), chosen, window.is_open)
    context = {
        "session": session,
        "window": window,
        "form": form,
        "heading": _heading(session, request.user),
        "days": days,
        "earlier": earlier,
        "later": later,
        "chosen": chosen,
    }
    status = 400 if form.is_bound else 200
    return render(request, "bookings/reschedule.html", context, status=status)


@dataclass(frozen=True)
class Choice:
    """One time on the page, in the viewer's zone: a radio button, or the current time."""

    value: str  # the instant in ISO 8601 with its offset, as posted
    time: str  # "14:30"
    current: bool


@dataclass(frozen=True)
class ShownDay:
    date: date
    choices: list[Choice]


def _days(session, raw_from, chosen: str, is_open: bool):
    """The mentor's free times for the session's length, its own time left out of the busy
    ones (the times the service accepts), seven days at a time; the current time is put in
    its day when that day is shown (marked on the page, not selectable)."""
    if not is_open:
        return [], None, None
    own = (session.start, session.start + timedelta(minutes=session.duration_minutes))
    slots = free_slots(session.mentor, duration_minutes=session.duration_minutes, moving=own)
    all_days = slots_by_day([slot for slot in slots if slot != session.start])
    days, earlier, later = page_of_days(all_days, raw_from, chosen)
    zone = timezone.get_current_timezone()
    current_day = session.start.astimezone(zone).date()
    shown = []
    for day in days:
        instants = day.instants
        if day.date == current_day:
            instants = sorted([*instants, session.start])
        choices = [
            Choice(value, f"{instant.astimezone(zone):%H:%M}", instant == session.start)
            for value, instant in ((instant.isoformat(), instant) for instant in instants)
        ]
        shown.append(ShownDay(day.date, choices))
    return shown, earlier, later


def _heading(session, user) -> str:
    if session.mentee_id == user.pk:
        return f"Move your session with {session.mentor.get_full_name()}"
    if session.mentor_id == user.pk:
        return f"Move your session with {session.mentee.get_full_name()}"
    mentee, mentor = session.mentee.get_full_name(), session.mentor.get_full_name()
    return f"Move the session of {mentee} with {mentor}"
