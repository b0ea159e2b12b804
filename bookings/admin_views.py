"""The staff area under /admin/sessions/: the sessions dashboard, its actions, one session."""

import re
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bookings import link_providers, rescheduling, selectors, services
from bookings.forms import (
    AdminSessionFilterForm,
    ChangeLinkForm,
    PaymentActionForm,
    SetStatusForm,
)
from bookings.models import MentoringSession, Status
from common.admin_area import list_filters, list_url, staff_required
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from payments.services import PaymentError

PAGING_KEYS = ("after", "before")
FILTER_KEYS = ("status", "payment", "q", "date_from", "date_to", *PAGING_KEYS)
DIALOG = re.compile(r"(confirm|cancel|change)-[1-9][0-9]{0,17}")
# Carries a refused link back to the dashboard so its dialog re-opens with the error.
RETRY_KEY = "admin_sessions_retry"


def dashboard_url(raw_query: str = "") -> str:
    return list_url("admin_sessions", raw_query, FILTER_KEYS)


@staff_required
@require_safe
def session_list(request: HttpRequest) -> HttpResponse:
    listed = list_filters(request, AdminSessionFilterForm, FILTER_KEYS, paging=PAGING_KEYS)
    result = selectors.admin_session_page(listed.form.filters())
    retry = request.session.pop(RETRY_KEY, None)
    open_kind, open_id = _open_dialog(retry["dialog"] if retry else _requested_dialog(request))
    open_session = selectors.session_for_dialog(open_id, result.sessions)
    return render(
        request,
        "bookings/admin/session_list.html",
        {
            **listed.context(),
            "result": result,
            "page": result.page,
            "people_cap": selectors.ADMIN_PEOPLE_CAP,
            # A dialog opens only for a session that exists (a stale link opens nothing).
            "open_kind": open_kind if open_session else "",
            "open_session": open_session,
            "retry": retry,
            "link_provider": link_providers.configured_provider(),
            "Status": Status,
            "now": timezone.now(),  # a row offers Complete once its session has started
        },
    )


def _open_dialog(value: str) -> tuple[str, int]:
    kind, _, session_id = value.partition("-")
    return kind, int(session_id or 0)


def _requested_dialog(request: HttpRequest) -> str:
    """`?dialog=confirm-12` opens that dialog server-side: the no-JavaScript path."""
    value = request.GET.get("dialog", "")
    return value if DIALOG.fullmatch(value) else ""


@staff_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    back = dashboard_url(request.POST.get("return_query", ""))
    form = SetStatusForm(request.POST)
    if not form.is_valid():
        get_object_or_404(MentoringSession.objects.only("pk"), pk=pk)  # unknown: 404 first
        if "meeting_link" in form.errors:
            _refuse_link(request, f"confirm-{pk}", form.errors["meeting_link"][0])
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    action = form.cleaned_data["action"]
    _act(
        request,
        f"confirm-{pk}",
        lambda: services.set_status(
            _by_id(pk),
            action=action,
            by=request.user,
            link=form.cleaned_data["meeting_link"] or None,
            reason=form.cleaned_data["reason"],
        ),
        lambda session: _success_message(session, action),
    )
    return redirect(back)


@staff_required
@require_POST
def create_link(request: HttpRequest, pk: int) -> HttpResponse:
    """**Create link** in the confirm dialog (docs/PRODUCT.md §3): a new link from the
    provider, nothing saved. Asked by fetch (static/js/create-link.js) it answers JSON;
    without JavaScript the dialog's form posts here and the dashboard re-opens the dialog
    with the link in the field."""
    dialog = f"confirm-{pk}"
    back = dashboard_url(request.POST.get("return_query", ""))
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        link = services.create_link_for_confirmation(pk)
    except MentoringSession.DoesNotExist:
        raise Http404("No such session.") from None
    except (services.SessionActionError, link_providers.LinkProviderError) as error:
        if wants_json:
            status = 503 if _is_provider_failure(error) else 409
            return JsonResponse({"error": str(error)}, status=status)
        _show_in_dialog(request, dialog, request.POST.get("meeting_link", ""), str(error))
        return redirect(back)
    if wants_json:
        return JsonResponse({"meeting_link": link})
    _show_in_dialog(request, dialog, link, "")
    return redirect(back)


def _is_provider_failure(error: Exception) -> bool:
    return isinstance(error, link_providers.LinkProviderError) and not isinstance(
        error, link_providers.NoLinkProvider
    )


def _by_id(pk: int) -> MentoringSession:
    """The session to act on, by id only: every service locks and re-reads the row first
    (bookings.services._lock), so reading it here too would be one query more. An unknown
    id raises DoesNotExist there, inside the service's transaction: a 404, nothing written."""
    return MentoringSession(pk=pk)


@staff_required
@require_POST
def change_link(request: HttpRequest, pk: int) -> HttpResponse:
    back = dashboard_url(request.POST.get("return_query", ""))
    form = ChangeLinkForm(request.POST)
    if not form.is_valid():
        get_object_or_404(MentoringSession.objects.only("pk"), pk=pk)  # unknown: 404 first
        _refuse_link(request, f"change-{pk}", form.errors["meeting_link"][0])
        return redirect(back)
    _act(
        request,
        f"change-{pk}",
        lambda: services.change_meeting_link(
            _by_id(pk), link=form.cleaned_data["meeting_link"], by=request.user
        ),
        lambda session: (
            f"Meeting link changed for {_who(session)}. Both have been emailed the new link."
        ),
    )
    return redirect(back)


def _act(
    request: HttpRequest,
    dialog: str,
    change: Callable[[], MentoringSession],
    success: Callable[[MentoringSession], str],
) -> None:
    """Run a session's change and say how it went: an unknown session is a 404, a refused
    link re-opens `dialog`, any other refusal is an error message."""
    try:
        session = change()
    except MentoringSession.DoesNotExist:
        raise Http404("No such session.") from None
    except services.SessionActionError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        _refuse_link(request, dialog, error.messages[0])
    except link_providers.LinkProviderError as error:  # confirmed with no link: none created
        _refuse_link(request, dialog, str(error))
    else:
        request.session.pop(RETRY_KEY, None)
        messages.success(request, success(session))


def _show_in_dialog(request: HttpRequest, dialog: str, link: str, error: str) -> None:
    """Re-open `dialog` on the dashboard with `link` in its field (and `error`, if any)."""
    request.session[RETRY_KEY] = {"dialog": dialog, "link": link[:600], "error": error}


def _refuse_link(request: HttpRequest, dialog: str, error: str) -> None:
    """Say why the link was refused, and re-open its dialog with the typed value."""
    _show_in_dialog(request, dialog, request.POST.get("meeting_link", ""), error)
    outcome = (
        "The link was not changed"
        if dialog.startswith("change")
        else ("The session was not confirmed")
    )
    messages.error(request, f"{outcome}: {error}")


def _who(session: MentoringSession) -> str:
    return f"{session.mentor.get_full_name()} – {session.mentee.get_full_name()}"


def _success_message(session: MentoringSession, action: str) -> str:
    if action == Status.CONFIRMED:
        return (
            f"Session {_who(session)} confirmed. The meeting link is being emailed to "
            f"{session.mentee.get_full_name()} and {session.mentor.get_full_name()}."
        )
    if action == Status.COMPLETED:
        return f"Session {_who(session)} marked completed."
    return f"Session {_who(session)} cancelled. Both have been notified."


@staff_required
@require_safe
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One session for staff: its fields, audit trail and emails (with Resend)."""
    session = selectors.session_for_admin(pk)
    if session is None:
        raise Http404("No such session.")
    emails = notification_selectors.session_emails(session)
    return render(
        request,
        "bookings/admin/session_detail.html",
        {
            "session": session,
            "events": selectors.session_audit_trail(session),
            "reschedule_window": rescheduling.window(session, request.user),
            "emails": notification_services.with_resend_refusals(emails),
        },
    )


def _payment_action(
    request: HttpRequest, pk: int, action, done: str, *, emails_mentee: bool = False
) -> HttpResponse:
    session = get_object_or_404(MentoringSession.objects.select_related("mentor", "mentee"), pk=pk)
    back = dashboard_url(request.POST.get("return_query", ""))
    form = PaymentActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reference"][0])
        return redirect(back)
    try:
        payment = action(session, by=request.user, reference=form.cleaned_data["reference"])
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        told = f" {session.mentee.get_full_name()} is being emailed." if emails_mentee else ""
        messages.success(request, f"Session {_who(session)}: ${payment.amount} {done}.{told}")
    return redirect(back)


@staff_required
@require_POST
def mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    return _payment_action(request, pk, services.mark_paid, "marked paid")


@staff_required
@require_POST
def mark_refunded(request: HttpRequest, pk: int) -> HttpResponse:
    return _payment_action(
        request, pk, services.mark_refunded, "marked refunded", emails_mentee=True
    )
