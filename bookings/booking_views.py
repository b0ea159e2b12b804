"""The booking page /mentors/<id>/book/: pick a free slot, book it."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import BOOKABLE_MINUTES, ApplicationStatus
from availability.slots import free_slots
from bookings import cancellation, services
from bookings.forms import BookingForm
from bookings.slot_days import page_of_days, slots_by_day
from ops import ratelimit


def _duration(raw, default: int) -> int:
    try:
        minutes = int(raw)
    except (TypeError, ValueError):
        return default
    return minutes if minutes in BOOKABLE_MINUTES else default


def _prices(rate: Decimal) -> list[tuple[int, Decimal]]:
    return [(minutes, services.session_amount(rate, minutes)) for minutes in BOOKABLE_MINUTES]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_session(request: HttpRequest, pk: int) -> HttpResponse:
    mentor = get_object_or_404(
        get_user_model().objects.select_related("mentor_profile"),
        pk=pk,
        is_active=True,
        mentor_profile__status=ApplicationStatus.APPROVED,
    )
    profile = mentor.mentor_profile
    data = request.POST if request.method == "POST" else request.GET
    duration = _duration(data.get("duration_minutes"), profile.default_session_minutes)
    bound = request.POST if request.method == "POST" else None
    chosen = str(data.get("start", ""))[:40]
    form = BookingForm(bound, initial={"duration_minutes": duration, "start": chosen})
    refusal = None
    if form.is_bound:
        try:
            services.count_booking_attempt(request.user)
            if form.is_valid():
                services.book_session(mentor, request.user, **form.cleaned_data)
                messages.success(
                    request, "Booking received! It is pending until an admin confirms it."
                )
                return redirect("dashboard")
        except services.BookingError as error:
            form.add_error(None, str(error))
            refusal = error
    is_self = mentor.pk == request.user.pk
    all_days = [] if is_self else slots_by_day(free_slots(mentor, duration_minutes=duration))
    days, earlier, later = page_of_days(all_days, request.GET.get("from"), chosen)
    cutoff = cancellation.booking_cutoff(timezone.now())
    context = {
        "mentor": mentor,
        "profile": profile,
        "form": form,
        "is_self": is_self,
        "duration": duration,
        "amount": services.session_amount(profile.hourly_rate, duration),
        "prices": _prices(profile.hourly_rate),
        "days": days,
        "earlier": earlier,
        "later": later,
        "cutoff": cutoff,
        "chosen_inside_cutoff": any(
            value == chosen and instant < cutoff.until
            for day in days
            for value, instant in day.slots
        ),
    }
    response = render(request, "bookings/book.html", context, status=_status(form, refusal))
    if isinstance(refusal, services.TooManyBookingAttempts):
        response["Retry-After"] = ratelimit.retry_after_header(refusal.retry_after)
    return response


def _status(form: BookingForm, refusal: services.BookingError | None) -> int:
    """The page shown again after a POST says why in its status: 429 when the account tried
    too often lately (only time ends it; Retry-After says when), 409 when the mentee's own
    requests waiting for confirmation leave no room for one more (a conflict with what they
    already have, which they can resolve by withdrawing one or waiting for a confirmation),
    400 for anything else about what was sent (a bad or taken time, a bad length)."""
    if not form.is_bound:
        return 200
    if isinstance(refusal, services.TooManyBookingAttempts):
        return 429
    if isinstance(refusal, services.PendingLimitReached):
        return 409
    return 400
