"""/api/v1/sessions/: read the sessions one may see, and change them through the same
service functions, with the same rules of who may do what, as the pages
(docs/PRODUCT.md §11). A session one may not see answers 404, as one that does not exist;
an action one's role does not allow on a session one can see answers 403; a change the
session's state refuses answers 409 with the words the pages show."""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api.problems import Problem, invalid
from api.schemas import (
    ERRORS,
    CancelIn,
    ChangeLinkIn,
    ConfirmIn,
    Instant,
    ProblemDetails,
    RescheduleIn,
    SessionOut,
    SessionPage,
)
from bookings import link_providers, selectors, services
from bookings.forms import CancelForm
from bookings.models import MentoringSession, Status
from bookings.representation import session_data
from common.keyset import Cursor

router = Router(tags=["sessions"])

BAD_CURSOR = "This cursor names no place in the list; start again from the first page."


class SessionFilters(Schema):
    status: Status | None = Field(None, description="Only sessions in this status.")
    start_after: Instant | None = Field(None, description="Sessions starting at or after.")
    start_before: Instant | None = Field(None, description="Sessions starting before.")
    # Any text: one that names no place is a 400 (below), whatever its length.
    cursor: str | None = Field(None, description="From a page's `next`.")


def _query(filters: SessionFilters) -> selectors.SessionQuery:
    after = None
    if filters.cursor:
        after = Cursor.parse(filters.cursor)
        if after is None or after.rank != 0:
            raise Problem(400, BAD_CURSOR, errors={"cursor": [BAD_CURSOR]})
    if filters.start_after and filters.start_before and filters.start_after > filters.start_before:
        message = "start_after must not be later than start_before."
        raise Problem(422, message, errors={"start_after": [message]})
    return selectors.SessionQuery(
        status=filters.status or "",
        start_after=filters.start_after,
        start_before=filters.start_before,
        after=after,
    )


def next_url(request: HttpRequest, name: str, value: str) -> str | None:
    """The absolute URL of the next page: this one's query with `name` set to `value`
    (None when `value` is empty: this is the last page)."""
    if not value:
        return None
    params = [(k, v) for k, v in request.GET.items() if k != name]
    return request.build_absolute_uri(f"{request.path}?{urlencode([*params, (name, value)])}")


@router.get("/sessions/", response={200: SessionPage, **ERRORS}, summary="List sessions")
def list_sessions(request: HttpRequest, filters: Query[SessionFilters]):
    """Your sessions as mentee or mentor (every session for an admin), soonest first, 25 a
    page. Follow `next` for the following page; it is null on the last one."""
    page = selectors.api_session_page(request.user, _query(filters))
    return {
        "results": [session_data(session) for session in page.rows],
        "next": next_url(request, "cursor", page.next_token),
    }


def _session(request: HttpRequest, session_id: int) -> MentoringSession:
    session = selectors.session_visible_to(request.user, session_id)
    if session is None:
        raise Problem(404, "No such session.")
    return session


@router.get("/sessions/{id:id}", response={200: SessionOut, **ERRORS}, summary="One session")
def get_session(request: HttpRequest, id: int):
    return session_data(_session(request, id))


def _act(change, *, about_input: tuple[str, ...] = ()) -> dict:
    """Run a service; its refusal is a 409 with its own words (a 422 on the field it names
    when its code is one of `about_input`), a refused link a 422."""
    try:
        return session_data(change())
    except MentoringSession.DoesNotExist:
        raise Problem(404, "No such session.") from None
    except services.SessionActionError as error:
        if error.code in about_input:
            raise invalid(error.field, str(error)) from None
        raise Problem(409, str(error)) from None
    except ValidationError as error:
        raise Problem(422, error.messages[0], errors={"meeting_link": error.messages}) from None
    except link_providers.LinkProviderError as error:
        raise Problem(503, str(error)) from None


def _staff_only(request: HttpRequest, what: str) -> None:
    if not request.user.is_staff:
        raise Problem(403, f"Only an admin can {what}.")


@router.post("/sessions/{id:id}/confirm", response={200: SessionOut, **ERRORS}, summary="Confirm")
def confirm(request: HttpRequest, id: int, payload: ConfirmIn | None = None):
    """pending → confirmed with a meeting link; both people are emailed. Admins only."""
    session = _session(request, id)
    _staff_only(request, "confirm a session")
    link = payload.meeting_link if payload else None
    return _act(lambda: services.confirm_session(session, link=link or None, by=request.user))


class CreatedLinkOut(Schema):
    meeting_link: str = Field(
        examples=["https://meet.jit.si/CodeMentorHub-abcdefghijklmnopqrstuvwxyz234567"]
    )


@router.post(
    "/sessions/{id:id}/create-link",
    response={200: CreatedLinkOut, **ERRORS, 503: ProblemDetails},
    summary="Create a meeting link",
)
def create_link(request: HttpRequest, id: int):
    """A new meeting link from the site's provider for a pending session, to confirm it
    with (`/confirm` with this `meeting_link`). Nothing is saved. Admins only; 409 when the
    session is not pending or the site has no provider; 503 when the provider failed."""
    _session(request, id)
    _staff_only(request, "create a meeting link")
    try:
        link = services.create_link_for_confirmation(id)
    except MentoringSession.DoesNotExist:
        raise Problem(404, "No such session.") from None
    except (services.SessionActionError, link_providers.NoLinkProvider) as error:
        raise Problem(409, str(error)) from None
    except link_providers.LinkProviderError as error:
        raise Problem(503, str(error)) from None
    return {"meeting_link": link}


@router.post("/sessions/{id:id}/complete", response={200: SessionOut, **ERRORS}, summary="Complete")
def complete(request: HttpRequest, id: int):
    """confirmed → completed, once it has started: the session's mentor, or an admin."""
    session = _session(request, id)
    if not request.user.is_staff and session.mentor_id != request.user.pk:
        raise Problem(403, "Only the session's mentor or an admin can mark it completed.")
    return _act(lambda: services.complete_session(session, by=request.user))


@router.post("/sessions/{id:id}/cancel", response={200: SessionOut, **ERRORS}, summary="Cancel")
def cancel(request: HttpRequest, id: int, payload: CancelIn | None = None):
    """pending/confirmed → cancelled: its mentee (until the cut-off), its mentor (until the
    start) with a reason, or an admin (the reason optional)."""
    session = _session(request, id)
    reason = " ".join((payload.reason if payload else "").split())
    if not reason and not request.user.is_staff:
        raise invalid("reason", CancelForm.base_fields["reason"].error_messages["required"])
    return _act(lambda: services.cancel_session(session, by=request.user, reason=reason))


@router.post(
    "/sessions/{id:id}/change-link", response={200: SessionOut, **ERRORS}, summary="Change link"
)
def change_link(request: HttpRequest, id: int, payload: ChangeLinkIn):
    """A confirmed session's new meeting link; both people are emailed. Admins only."""
    session = _session(request, id)
    _staff_only(request, "change a session's meeting link")
    return _act(
        lambda: services.change_meeting_link(session, link=payload.meeting_link, by=request.user)
    )


# Refusals about the chosen time itself, rather than about the session's state.
_NOT_THIS_TIME = ("not_offered", "same_start")


@router.post(
    "/sessions/{id:id}/reschedule", response={200: SessionOut, **ERRORS}, summary="Reschedule"
)
def reschedule(request: HttpRequest, id: int, payload: RescheduleIn):
    """Move a pending or confirmed session to another of the mentor's free times: its
    mentee (until the cut-off, a limited number of times), its mentor or an admin."""
    session = _session(request, id)
    return _act(
        lambda: services.reschedule_session(
            session, start=payload.start, by=request.user, reason=payload.reason
        ),
        about_input=_NOT_THIS_TIME,
    )
