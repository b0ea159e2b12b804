"""The dashboard's cards ("My Sessions", docs/PRODUCT.md §4.5): what each session's card
says (the panel, the cancel deadline, the other person), decided here in Python so the
template (templates/bookings/_session_cards.html) only places it."""

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from bookings import cancellation, rescheduling, selectors
from bookings.models import MentoringSession, Status
from bookings.templatetags.sessions import safe_meeting_link


class SessionCard(TypedDict):
    """What one dashboard card shows, as text. A dict, not an object: the template language
    tries `card[name]` before `card.name`."""

    id: str
    url: str
    cancel_url: str
    reschedule_url: str  # "" = moving is closed (the page says why the limit is reached)
    other_name: str  # the person you meet
    status: str
    status_label: str
    day: str  # in the viewer's time zone
    time: str
    duration: str
    amount: str
    payment: str
    payment_instructions: str  # how to pay (the mentee's, while unpaid; "" = nothing to say)
    # The panel under the facts: "ended" (confirmed, waiting to be completed), "link",
    # "confirmed" (link on its way), "pending", "cancelled", or "" (completed).
    panel: str
    link: str  # the safe meeting link, for the "link" panel
    link_label: str  # "Google Meet", "Zoom", …
    cancellation_reason: str
    can_cancel: bool
    withdraw: bool  # the mentee's pending request: "Withdraw request", until the start
    cutoff: str  # the mentee's cancel cut-off ("" = no cut-off line)
    cutoff_passed: bool
    cutoff_words: str


@dataclass(frozen=True, slots=True)
class DashboardSection:
    """One list on the dashboard: its cards and the links to the pages around it."""

    cards: list[SessionCard]
    previous_url: str
    next_url: str


def section(
    page: selectors.DashboardList, places: dict[str, str], user, now: datetime
) -> DashboardSection:
    def url(token: str) -> str:
        # The other lists stay where they are; the fragment brings the reader back here.
        query = urlencode({**places, page.name: token})
        return f"?{query}#{page.name.replace('_', '-')}-title" if token else ""

    cards = []
    if page.sessions:
        as_mentor, in_past = page.name.startswith("mentor_"), page.name.endswith("past")
        maker = _Cards(user, as_mentor=as_mentor, in_past=in_past, now=now)
        cards = [maker.card(session) for session in page.sessions]
    return DashboardSection(cards, url(page.previous_token), url(page.next_token))


_STATUS_LABELS = {value: label.upper() for value, label in Status.choices}


class _Cards:
    """Makes the cards of one list. What every card shares is worked out once: the viewer's
    zone."""

    def __init__(self, user, *, as_mentor: bool, in_past: bool, now: datetime) -> None:
        self.user, self.as_mentor, self.in_past, self.now = user, as_mentor, in_past, now
        self.zone = timezone.get_current_timezone()

    def card(self, session: MentoringSession) -> SessionCard:
        local = timezone.localtime(session.start, self.zone)
        panel = "" if session.status == Status.COMPLETED else session.status
        link = ""
        if session.status == Status.CONFIRMED:
            link = "" if self.in_past else safe_meeting_link(session.get_meeting_link)
            panel = "ended" if self.in_past else "link" if link else "confirmed"
        window = moving = None
        if session.status in selectors.ACTIVE and not self.in_past:
            window = cancellation.window(session, self.user, self.now)
            # Without the mentee's moves (no query per card): the page says when the
            # limit is reached.
            moving = rescheduling.window(session, self.user, self.now, count_moves=False)
        cutoff = ""
        if window and window.role == cancellation.MENTEE:
            cutoff = f"{timezone.localtime(window.cutoff, self.zone):%Y-%m-%d %H:%M}"
        pk = str(session.pk)
        return SessionCard(
            id=pk,
            url=reverse("session_detail", args=[session.pk]),
            cancel_url=reverse("session_cancel", args=[session.pk]) if window else "",
            reschedule_url=(
                reverse("session_reschedule", args=[session.pk])
                if moving and moving.is_open
                else ""
            ),
            other_name=(session.mentee if self.as_mentor else session.mentor).get_full_name(),
            status=session.status,
            status_label=_STATUS_LABELS.get(session.status, session.status),
            day=f"{local:%Y-%m-%d}",
            time=f"{local:%H:%M}",
            duration=str(session.duration_minutes),
            amount=str(session.amount),
            payment=session.payment_words,
            payment_instructions="" if self.as_mentor else session.how_to_pay,
            panel=panel,
            link=link,
            link_label=session.meeting_provider_label if link else "",
            cancellation_reason=session.cancellation_reason,
            can_cancel=bool(window and window.is_open),
            withdraw=bool(window and window.withdrawal),
            cutoff=cutoff,
            cutoff_passed=bool(window and window.cutoff_passed),
            cutoff_words=window.cutoff_words if cutoff else "",
        )
