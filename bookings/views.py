"""Pages for the people in a session: the dashboard and the session detail."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bookings import cancellation, selectors, services
from bookings.forms import CancelForm

DASHBOARD_LIMIT = 50


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "upcoming": list(selectors.upcoming_sessions(user, as_mentor=False)[:DASHBOARD_LIMIT]),
        "past": list(selectors.past_sessions(user, as_mentor=False)[:DASHBOARD_LIMIT]),
        "is_mentor": selectors.is_mentor(user),
    }
    if context["is_mentor"]:
        context["mentor_upcoming"] = list(
            selectors.upcoming_sessions(user, as_mentor=True)[:DASHBOARD_LIMIT]
        )
        context["mentor_past"] = list(
            selectors.past_sessions(user, as_mentor=True)[:DASHBOARD_LIMIT]
        )
    return render(request, "bookings/dashboard.html", context)


def _participant_session(request: HttpRequest, pk: int):
    session = selectors.session_for_participant(request.user, pk)
    if session is None:
        raise Http404("No such session.")
    return session


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _participant_session(request, pk)
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


def _cancel_form(session, user, data=None) -> CancelForm:
    form = CancelForm(data)
    if session.mentee_id == user.pk:
        form.fields["reason"].label = "Reason for cancelling (your mentor will see it)"
    return form


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentee or the mentor cancels; the rules (cut-off, start) live in the service."""
    session = _participant_session(request, pk)
    # Back to where the form was: the dashboard card or the session page (no open redirect).
    back = "dashboard" if request.POST.get("return_to") == "dashboard" else "session_detail"
    back_args = {} if back == "dashboard" else {"pk": pk}
    form = _cancel_form(session, request.user, request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect(back, **back_args)
    try:
        services.cancel_session(session, by=request.user, reason=form.cleaned_data["reason"])
    except services.SessionActionError as error:
        messages.error(request, str(error))
    else:
        told = "The mentee" if session.mentor_id == request.user.pk else "Your mentor"
        messages.success(request, f"Session cancelled. {told} has been notified.")
    return redirect(back, **back_args)
