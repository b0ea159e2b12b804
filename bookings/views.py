"""Pages for the people in a session: the dashboard and the session detail."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from bookings import cancellation, cards, rescheduling, selectors, services
from bookings.forms import CancelForm
from bookings.selectors import DASHBOARD_LISTS
from common.admin_area import list_url

BAD_PAGE_MESSAGE = "That page of your sessions could not be found; showing the first page instead."


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """ "My Sessions": up to four short lists (docs/PRODUCT.md §4.5), each paged on its own
    by a keyset token in its query parameter; a bad token shows that list's first page and
    says so."""
    user = request.user
    places = {name: request.GET.get(name, "") for name in DASHBOARD_LISTS}
    found = selectors.dashboard_lists(user, places)
    if any(page.refused for page in found.lists.values()):
        messages.warning(request, BAD_PAGE_MESSAGE)
    kept = {name: page.token for name, page in found.lists.items() if page.token}
    now = timezone.now()
    sections = {name: cards.section(page, kept, user, now) for name, page in found.lists.items()}
    context = {
        "is_mentor": found.is_mentor,
        **sections,
        # Where each list is: a cancel from a card comes back to the same pages.
        "return_query": urlencode(kept),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "bookings/dashboard.html", context)


def _participant_session(request: HttpRequest, pk: int):
    session = selectors.session_for_participant(request.user, pk)
    if session is None:
        raise Http404("No such session.")
    return session


@login_required
@require_safe
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for_participant(request.user, pk)
    if session is None:
        # An admin who is not in the session has its admin page (and "back to the
        # session" after a move from the reschedule page lands there).
        if request.user.is_staff and selectors.session_exists(pk):
            return redirect("admin_session_detail", pk=pk)
        raise Http404("No such session.")
    is_mentor_view = session.mentor_id == request.user.pk
    return render(
        request,
        "bookings/session_detail.html",
        {
            "session": session,
            "is_mentor_view": is_mentor_view,
            "has_started": session.start <= timezone.now(),
            "cancel_form": _cancel_form(session, request.user),
            "cancel_window": cancellation.window(session, request.user),
            "reschedule_window": rescheduling.window(
                session, request.user, moves=session.mentee_moves
            ),
            "how_to_pay": "" if is_mentor_view else session.how_to_pay,
        },
    )


def _mentor_session(request: HttpRequest, pk: int):
    session = _participant_session(request, pk)
    if session.mentor_id != request.user.pk:
        raise Http404("No such session.")
    return session


@login_required
@require_POST
def mentor_complete(request: HttpRequest, pk: int) -> HttpResponse:
    session = _mentor_session(request, pk)
    try:
        services.complete_session(session, by=request.user)
    except services.SessionActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Session marked completed. Thank you!")
    return redirect("session_detail", pk=pk)


def _cancel_page(request: HttpRequest, session) -> HttpResponse:
    user = request.user
    window = cancellation.window(session, user)
    is_mentor_view = session.mentor_id == user.pk
    other = session.mentee if is_mentor_view else session.mentor
    if window.withdrawal:
        heading = f"Withdraw your request for a session with {other.get_full_name()}"
    else:
        heading = f"Cancel your session with {other.get_full_name()}"
    context = {
        "session": session,
        "heading": heading,
        "is_mentor_view": is_mentor_view,
        "cancel_form": _cancel_form(session, user),
        "cancel_window": window,
        "can_move": rescheduling.window(session, user).is_open,
    }
    return render(request, "bookings/session_cancel.html", context)


def _cancel_form(session, user, data=None) -> CancelForm:
    form = CancelForm(data)
    if session.mentee_id == user.pk:
        doing = "withdrawing" if cancellation.window(session, user).withdrawal else "cancelling"
        form.fields["reason"].label = f"Reason for {doing} (your mentor will see it)"
    return form


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentee or the mentor cancels; the rules (cut-off, start) live in the service.
    GET (the emails link here) shows the session and the form, or why it can no longer be
    cancelled here; only the POST cancels."""
    session = _participant_session(request, pk)
    if request.method != "POST":
        return _cancel_page(request, session)
    # Back to where the form was (no open redirect): the session page, or the dashboard
    # with each list on the page it was on.
    back = reverse("session_detail", args=[pk])
    if request.POST.get("return_to") == "dashboard":
        back = list_url("dashboard", request.POST.get("return_query", ""), DASHBOARD_LISTS)
    # A request nobody has confirmed is "withdrawn" (docs/PRODUCT.md §2.4): asked before
    # the service changes the session.
    withdrawing = cancellation.window(session, request.user).withdrawal
    form = _cancel_form(session, request.user, request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect(back)
    try:
        services.cancel_session(session, by=request.user, reason=form.cleaned_data["reason"])
    except services.SessionActionError as error:
        messages.error(request, str(error))
    else:
        done = "Request withdrawn" if withdrawing else "Session cancelled"
        told = "The mentee" if session.mentor_id == request.user.pk else "Your mentor"
        messages.success(request, f"{done}. {told} has been notified.")
    return redirect(back)
