"""Booking a session (docs/PRODUCT.md): the book_session service, its emails, and the page
/mentors/<id>/book/.

Service tests pass a fixed `now`; page tests run against the real clock with a mentor who
is available every day, and pick a slot from free_slots() (or freeze the clock first)."""

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import ApplicationStatus
from availability.slots import free_slots
from bookings import services
from bookings.models import MentoringSession, PaymentStatus, SessionEvent, Status
from bookings.services import BookingError, book_session
from notifications.delivery import relay
from notifications.models import EmailKind, OutboundEmail
from payments.models import Payment
from tests.availability.factories import WeeklyAvailabilityFactory, every_day
from tests.conftest import client_for
from tests.factories import MentorFactory, MentorProfileFactory, SessionFactory, UserFactory
from tests.helpers import messages_of, visible_text

NOW = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)  # a Tuesday
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin (the mentor's zone)
SLOT_TAKEN = "That time is no longer available. Please choose another time."
NOT_OFFERED = "That time is not one of the offered times. Please choose a time from the list."
NOTHING = {"sessions": 0, "events": 0, "payments": 0, "emails": 0, "tasks": 0}


pytestmark = pytest.mark.usefixtures("booking_rules")


@pytest.fixture
def mentor(mentor):
    """Jane (Berlin, $60/hour): Mondays 09:00–12:00 Berlin time (08:00–11:00 UTC in January)."""
    WeeklyAvailabilityFactory(mentor=mentor, weekday=0, start_time=time(9), end_time=time(12))
    return mentor


def created() -> dict[str, int]:
    return {
        "sessions": MentoringSession.objects.count(),
        "events": SessionEvent.objects.count(),
        "payments": Payment.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


def book(mentor, mentee, start=START, minutes=60, notes="", now=NOW):
    return book_session(mentor, mentee, start, minutes, notes, now=now)


def addressed(email: OutboundEmail) -> tuple[str, int, int]:
    """(to which address, to whom, about which session) an email goes."""
    return email.to_email, email.recipient_id, email.session_id


# --- the service: what a booking stores ---------------------------------------------------


@pytest.mark.django_db
def test_booking_creates_a_pending_session_with_exact_values(mentor, mentee):
    session = book(mentor, mentee, notes="  Review my Django models.  ")

    stored = MentoringSession.objects.values(
        "mentor_id",
        "mentee_id",
        "start",
        "duration_minutes",
        "status",
        "notes",
        "amount",
        "currency",
        "payment_status",
        "admin_provided_link",
        "meeting_link",
        "confirmed_at",
    ).get(pk=session.pk)
    assert stored == {
        "mentor_id": mentor.pk,
        "mentee_id": mentee.pk,
        "start": START,
        "duration_minutes": 60,
        "status": Status.PENDING,
        "notes": "Review my Django models.",
        "amount": Decimal("60.00"),
        "currency": "USD",
        "payment_status": PaymentStatus.PENDING,
        "admin_provided_link": "",
        "meeting_link": "",
        "confirmed_at": None,
    }


@pytest.mark.django_db
def test_booking_writes_a_booked_audit_entry_by_the_mentee(mentor, mentee):
    session = book(mentor, mentee)

    event = SessionEvent.objects.get(session=session)
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        SessionEvent.Action.BOOK,
        mentee,
        Status.PENDING,
        Status.PENDING,
    )


@pytest.mark.django_db
def test_booking_creates_the_payment_record(mentor, mentee):
    session = book(mentor, mentee, minutes=90)

    payment = Payment.objects.get(session=session)
    assert (payment.amount, payment.currency, payment.status) == (
        Decimal("90.00"),
        "USD",
        PaymentStatus.PENDING,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rate, minutes, amount",
    [
        ("60.00", 30, "30.00"),
        ("60.00", 45, "45.00"),
        ("60.00", 60, "60.00"),
        ("60.00", 90, "90.00"),
        ("85.50", 45, "64.13"),  # 64.125, rounded half up
        ("99.99", 90, "149.99"),  # 149.985
        ("0.00", 60, "0.00"),
    ],
)
def test_amount_is_rate_times_duration(mentor, mentee, rate, minutes, amount):
    mentor.mentor_profile.hourly_rate = Decimal(rate)
    mentor.mentor_profile.save()

    session = book(mentor, mentee, minutes=minutes)

    assert MentoringSession.objects.get(pk=session.pk).amount == Decimal(amount)


@pytest.mark.django_db
def test_amount_comes_from_the_current_rate_not_a_stale_object(mentor, mentee):
    stale = type(mentor).objects.select_related("mentor_profile").get(pk=mentor.pk)
    mentor.mentor_profile.hourly_rate = Decimal("100.00")
    mentor.mentor_profile.save()

    session = book(stale, mentee)

    assert MentoringSession.objects.get(pk=session.pk).amount == Decimal("100.00")


@pytest.mark.django_db
def test_a_later_rate_change_does_not_touch_existing_bookings(mentor, mentee, other_mentee):
    first = book(mentor, mentee)
    mentor.mentor_profile.hourly_rate = Decimal("120.00")
    mentor.mentor_profile.save()

    second = book(mentor, other_mentee, start=START + timedelta(hours=1))

    amounts = dict(MentoringSession.objects.values_list("pk", "amount"))
    assert amounts == {first.pk: Decimal("60.00"), second.pk: Decimal("120.00")}
    assert Payment.objects.get(session=first).amount == Decimal("60.00")


# --- the service: its emails --------------------------------------------------------------


@pytest.fixture
def admins(db):
    """Two active admins in different zones, one inactive admin, one superuser-less staff."""
    return [
        UserFactory(first_name="Alex", email="alex@example.com", is_staff=True, time_zone="UTC"),
        UserFactory(
            first_name="Priya", email="priya@example.com", is_staff=True, time_zone="Asia/Kolkata"
        ),
        UserFactory(first_name="Gone", email="gone@example.com", is_staff=True, is_active=False),
    ]


@pytest.mark.django_db
def test_booking_queues_booking_received_to_the_mentee_only(mentor, mentee, admins):
    session = book(mentor, mentee)

    received = OutboundEmail.objects.get(kind=EmailKind.BOOKING_RECEIVED)
    assert addressed(received) == ("john@example.com", mentee.pk, session.pk)
    # John is in New York: 09:00 UTC on 7 January is 04:00 EST.
    assert received.subject == (
        "Booking received: 2030-01-07 04:00 (America/New_York) with Jane Smith "
        "(awaiting confirmation)"
    )
    for body in (received.body_text, received.body_html):
        assert "Hello John," in body
        assert "pending until an admin confirms it" in body
        assert "2030-01-07" in body and "04:00 (America/New_York)" in body
        assert "60 minutes" in body and "$60.00" in body
        assert "What happens next" in body
        assert "http://127.0.0.1:8000/dashboard/" in body
    assert received.ics == ""


@pytest.mark.django_db
@pytest.mark.usefixtures("site")
def test_booking_tells_the_mentor_of_the_request_in_her_zone(mentor, mentee, admins):
    session = book(mentor, mentee, notes="Tom & Jerry <script>")

    requested = OutboundEmail.objects.get(kind=EmailKind.SESSION_REQUESTED)
    assert addressed(requested) == ("jane@example.com", mentor.pk, session.pk)
    # Jane is in Berlin: 09:00 UTC on 7 January is 10:00 CET.
    assert requested.subject == (
        "New session request: 2030-01-07 10:00 (Europe/Berlin) with John Doe "
        "(awaiting confirmation)"
    )
    assert requested.body_text == (
        "Hello Jane,\n"
        "\n"
        "John Doe has requested a session with you. It is awaiting confirmation by an admin; "
        "you will get the meeting link and a calendar invitation once it is confirmed.\n"
        "\n"
        "Session Details:\n"
        "---------------------------------------------\n"
        "Mentor: Jane Smith\n"
        "Mentee: John Doe\n"
        "Date: 2030-01-07\n"
        "Time: 10:00 (Europe/Berlin)\n"
        "Duration: 60 minutes\n"
        "Amount: $60.00\n"
        "Status: Pending confirmation\n"
        "---------------------------------------------\n"
        "\n"
        "Mentee's notes:\n"
        "Tom & Jerry <script>\n"
        "\n"
        "If you cannot make this time, cancel the request on the session's page, with a "
        "reason for John Doe:\n"
        f"https://mentors.example.com/sessions/{session.pk}/\n"
        "\n"
        "Questions? Write to us at help@mentors.example.com.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )
    seen = visible_text(requested.body_html)
    assert "John Doe has requested a session with you." in seen
    assert "Time: 10:00 (Europe/Berlin)" in seen
    assert "Tom &amp; Jerry &lt;script&gt;" in requested.body_html
    assert f'href="https://mentors.example.com/sessions/{session.pk}/"' in requested.body_html
    assert requested.ics == ""


@pytest.mark.django_db
def test_booking_received_says_how_to_pay_while_payments_are_offline(settings, mentor, mentee):
    settings.PAYMENT_PROVIDER = "offline"
    settings.PAYMENT_INSTRUCTIONS = "Transfer to IBAN DE00 1234.\nQuote <your> invoice number."

    book(mentor, mentee)

    received = OutboundEmail.objects.get(kind=EmailKind.BOOKING_RECEIVED)
    assert (
        "How to pay:\nTransfer to IBAN DE00 1234.\nQuote <your> invoice number.\n\n"
        "What happens next:"
    ) in received.body_text
    assert "Transfer to IBAN DE00 1234.<br>Quote &lt;your&gt; invoice number." in (
        received.body_html
    )
    mentor_email = OutboundEmail.objects.get(kind=EmailKind.SESSION_REQUESTED)
    assert "IBAN" not in mentor_email.body_text


@pytest.mark.django_db
def test_booking_received_says_nothing_of_paying_when_a_provider_takes_the_money(
    settings, mentor, mentee
):
    settings.PAYMENT_PROVIDER = "tests.payments.test_services.FakeCardProvider"
    settings.PAYMENT_INSTRUCTIONS = "Transfer to IBAN DE00 1234."

    book(mentor, mentee)

    received = OutboundEmail.objects.get(kind=EmailKind.BOOKING_RECEIVED)
    assert "How to pay" not in received.body_text
    assert "IBAN" not in received.body_html


@pytest.mark.django_db
def test_booking_received_repeats_the_mentees_notes(mentor, mentee):
    book(mentor, mentee, notes="Tom & Jerry <script>\nand my ORM queries")

    received = OutboundEmail.objects.get(kind=EmailKind.BOOKING_RECEIVED)
    assert (
        "---------------------------------------------\n\n"
        "Your notes for Jane Smith:\nTom & Jerry <script>\nand my ORM queries\n\n"
        "What happens next:"
    ) in received.body_text
    assert "Tom &amp; Jerry &lt;script&gt;<br>and my ORM queries" in received.body_html
    assert "<script>" not in received.body_html


@pytest.mark.django_db
def test_booking_received_without_notes_says_nothing_of_them(mentor, mentee):
    book(mentor, mentee, notes="")

    received = OutboundEmail.objects.get(kind=EmailKind.BOOKING_RECEIVED)
    assert "notes" not in received.body_text
    assert "notes" not in received.body_html


@pytest.mark.django_db
def test_booking_queues_needs_confirmation_to_every_active_admin(mentor, mentee, admins):
    session = book(mentor, mentee, notes="Tom & Jerry <script>")

    emails = OutboundEmail.objects.filter(kind=EmailKind.NEEDS_CONFIRMATION).order_by("to_email")
    assert [(e.to_email, e.session_id) for e in emails] == [
        ("alex@example.com", session.pk),
        ("priya@example.com", session.pk),
    ]
    alex, priya = emails
    assert alex.subject == "Needs confirmation: Jane Smith – John Doe, 2030-01-07 09:00 (UTC)"
    assert (
        priya.subject
        == "Needs confirmation: Jane Smith – John Doe, 2030-01-07 14:30 (Asia/Kolkata)"
    )
    link = "http://127.0.0.1:8000/admin/sessions/?status=pending"
    for body in (alex.body_text, alex.body_html):
        assert "A new booking needs confirmation" in body
        assert link in body
        assert "09:00 (UTC)" in body
    assert "14:30 (Asia/Kolkata)" in priya.body_text
    assert "Tom & Jerry <script>" in alex.body_text
    assert "Tom &amp; Jerry &lt;script&gt;" in alex.body_html


@pytest.mark.django_db
def test_each_email_gets_its_delivery_task_from_the_worker_relay(mentor, mentee, admins):
    book(mentor, mentee)
    # John's receipt, Jane's request, and the two active admins' "needs confirmation"
    assert created() == {"sessions": 1, "events": 1, "payments": 1, "emails": 4, "tasks": 0}

    assert relay() == 4

    tasks = {task.pk: task.args_kwargs["args"] for task in DBTaskResult.objects.all()}
    assert tasks == {row.task_id: [row.pk] for row in OutboundEmail.objects.all()}


# --- the service: refusals change nothing -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, minutes, notes, message",
    [
        (START, 120, "", "Choose a session length of 30, 45, 60 or 90 minutes."),
        (START, 15, "", "Choose a session length of 30, 45, 60 or 90 minutes."),
        (START, "60", "", "Choose a session length of 30, 45, 60 or 90 minutes."),
        (START.replace(tzinfo=None), 60, "", "Choose a time from the list."),
        (START, 60, "x" * 2001, "Notes can be at most 2000 characters long."),
        (
            NOW - timedelta(hours=1),
            60,
            "",
            "That time is in the past. Please choose a time from the list.",
        ),
        (
            NOW + timedelta(hours=11, minutes=30),
            60,
            "",
            "Sessions must be booked at least 12 hours in advance. Please choose a later time.",
        ),
        (
            START + timedelta(days=63),
            60,
            "",
            "Sessions can be booked at most 60 days ahead. Please choose an earlier time.",
        ),
        (START + timedelta(minutes=10), 60, "", NOT_OFFERED),  # off the grid
        (START + timedelta(days=1), 60, "", NOT_OFFERED),  # Tuesday: not available
        (START + timedelta(hours=2, minutes=30), 60, "", NOT_OFFERED),  # ends after the window
    ],
)
def test_booking_refuses_with_a_message_and_creates_nothing(
    mentor, mentee, admin_user, start, minutes, notes, message
):
    with pytest.raises(BookingError) as refused:
        book(mentor, mentee, start=start, minutes=minutes, notes=notes)

    assert str(refused.value) == message
    assert created() == NOTHING


@pytest.mark.django_db
def test_booking_yourself_is_refused(mentor, admin_user):
    with pytest.raises(BookingError, match="^You cannot book a session with yourself.$"):
        book(mentor, mentor)

    assert created() == NOTHING


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ApplicationStatus.PENDING, ApplicationStatus.REJECTED])
def test_booking_an_unapproved_mentor_is_refused(mentor, mentee, status):
    mentor.mentor_profile.status = status
    mentor.mentor_profile.save()

    with pytest.raises(BookingError, match="^This mentor is not taking bookings.$"):
        book(mentor, mentee)

    assert created() == NOTHING


@pytest.mark.django_db
def test_booking_a_deactivated_mentor_is_refused(mentor, mentee):
    mentor.is_active = False
    mentor.save()

    with pytest.raises(BookingError, match="^This mentor is not taking bookings.$"):
        book(mentor, mentee)

    assert created() == NOTHING


@pytest.mark.django_db
def test_booking_someone_who_is_not_a_mentor_is_refused(mentee, other_mentee):
    with pytest.raises(BookingError, match="^This mentor is not taking bookings.$"):
        book(other_mentee, mentee)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED])
@pytest.mark.parametrize("offset, minutes", [(0, 60), (-30, 60), (30, 30), (-60, 90)])
def test_booking_a_held_time_is_refused(mentor, mentee, other_mentee, status, offset, minutes):
    held = SessionFactory(
        mentor=mentor,
        mentee=other_mentee,
        start=START + timedelta(minutes=offset),
        duration_minutes=minutes,
        status=status,
    )
    before = created()

    with pytest.raises(BookingError, match=f"^{SLOT_TAKEN}$"):
        book(mentor, mentee)

    assert created() == before
    assert MentoringSession.objects.get(pk=held.pk).status == status


@pytest.mark.django_db
def test_an_off_grid_time_beside_a_held_one_is_not_offered_rather_than_taken(
    mentor, mentee, other_mentee
):
    SessionFactory(mentor=mentor, mentee=other_mentee, start=START)
    before = created()

    with pytest.raises(BookingError) as refused:
        book(mentor, mentee, start=START + timedelta(minutes=10))

    assert str(refused.value) == NOT_OFFERED
    assert created() == before


@pytest.mark.django_db
def test_a_cancelled_session_does_not_hold_its_time(mentor, mentee, other_mentee):
    # A completed one does (tests/bookings/test_double_booking.py, docs/PRODUCT.md §7.1).
    SessionFactory(mentor=mentor, mentee=other_mentee, start=START, status=Status.CANCELLED)

    session = book(mentor, mentee)

    assert session.status == Status.PENDING


@pytest.mark.django_db
def test_the_same_mentee_cannot_book_the_same_slot_twice(mentor, mentee):
    book(mentor, mentee)

    with pytest.raises(BookingError) as refused:
        book(mentor, mentee)

    # Their own session is named (docs/PRODUCT.md §7.2), rather than "no longer available".
    assert str(refused.value) == (
        "You already have a session with Jane Smith on 2030-01-07 from 04:00 to 05:00 "
        "(America/New_York) at that time. Please choose another time."
    )
    assert MentoringSession.objects.count() == 1


@pytest.mark.django_db
def test_booking_error_is_a_session_action_error():
    assert issubclass(BookingError, services.SessionActionError)


# --- the page ------------------------------------------------------------------------------


URL = "/mentors/{}/book/"


@pytest.fixture
def available_mentor(db):
    """Mentor in Asia/Kolkata, $80/hour, 45 minutes by default, available 00:00–23:30 daily."""
    mentor = UserFactory(
        first_name="Ravi", last_name="Kumar", email="ravi@example.com", time_zone="Asia/Kolkata"
    )
    MentorProfileFactory(
        user=mentor, hourly_rate=Decimal("80.00"), default_session_minutes=45, headline="Go dev"
    )
    every_day(mentor, time(0), time(23, 30))
    return mentor


def first_week(slots: list[datetime], viewer) -> list[datetime]:
    """The slots on the first seven of the viewer's local days that have any (one page)."""
    dates = sorted({slot.astimezone(viewer.zone).date() for slot in slots})[:7]
    return [slot for slot in slots if slot.astimezone(viewer.zone).date() in dates]


def a_free_slot(mentor, minutes=45) -> datetime:
    return free_slots(mentor, duration_minutes=minutes)[4]


def post(client, mentor, **data):
    return client.post(URL.format(mentor.pk), data)


@pytest.mark.django_db
def test_page_redirects_anonymous_visitors_to_login(available_mentor):
    response = client_for(None).get(URL.format(available_mentor.pk))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/mentors/{available_mentor.pk}/book/"


@pytest.mark.django_db
def test_anonymous_post_books_nothing(available_mentor):
    response = post(client_for(None), available_mentor, start=a_free_slot(available_mentor))

    assert response.status_code == 302
    assert created() == NOTHING


@pytest.mark.django_db
def test_page_is_404_for_an_unknown_mentor(mentee):
    assert client_for(mentee).get(URL.format(999999)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ApplicationStatus.PENDING, ApplicationStatus.REJECTED])
def test_page_is_404_for_an_unapproved_mentor(available_mentor, mentee, status):
    available_mentor.mentor_profile.status = status
    available_mentor.mentor_profile.save()
    client = client_for(mentee)

    assert client.get(URL.format(available_mentor.pk)).status_code == 404
    slot = a_free_slot(available_mentor).isoformat()
    assert post(client, available_mentor, start=slot, duration_minutes=45).status_code == 404
    assert created() == NOTHING


@pytest.mark.django_db
def test_page_is_404_for_a_user_who_is_not_a_mentor(mentee, other_mentee):
    assert client_for(mentee).get(URL.format(other_mentee.pk)).status_code == 404


@pytest.mark.django_db
def test_page_shows_the_price_list_and_the_default_length(available_mentor, mentee):
    response = client_for(mentee).get(URL.format(available_mentor.pk))

    assert response.status_code == 200
    text = visible_text(response.text)
    for minutes, price in [(30, "40.00"), (45, "60.00"), (60, "80.00"), (90, "120.00")]:
        assert f"{minutes} minutes ${price}" in text
    assert 'name="duration_minutes" value="45" checked' in response.content.decode()
    assert "$60.00 for 45 minutes at $80.00 per hour." in text


@pytest.mark.django_db
def test_page_shows_free_times_in_the_viewers_zone(available_mentor, mentee):
    response = client_for(mentee).get(URL.format(available_mentor.pk))

    html = response.content.decode()
    slots = free_slots(available_mentor, duration_minutes=45)
    assert html.count('name="start"') == len(first_week(slots, mentee))
    first = slots[0]
    local = first.astimezone(mentee.zone)
    assert f'value="{first.isoformat()}"> <span>{local:%H:%M}</span>' in html
    assert "shown in your time zone: America/New_York" in visible_text(response.text)


@pytest.mark.django_db
def test_page_lists_times_for_the_chosen_length(available_mentor, mentee):
    response = client_for(mentee).get(URL.format(available_mentor.pk), {"duration_minutes": 90})

    html = response.content.decode()
    slots = free_slots(available_mentor, duration_minutes=90)
    assert html.count('name="start"') == len(first_week(slots, mentee))
    assert 'type="hidden" name="duration_minutes" value="90"' in html
    assert "$120.00 for 90 minutes" in visible_text(response.text)


@pytest.mark.django_db
def test_page_ignores_an_unknown_length_in_the_query(available_mentor, mentee):
    response = client_for(mentee).get(URL.format(available_mentor.pk), {"duration_minutes": "7"})

    assert 'type="hidden" name="duration_minutes" value="45"' in response.content.decode()


@pytest.mark.django_db
def test_page_across_dst_shows_each_slot_at_the_viewers_local_time(clock, mentee):
    # Kolkata 09:00 is 03:30 UTC every day; John's New York moves to EDT on 2030-03-10, so
    # he sees 22:30 the evening before until then, 23:30 after.
    mentor = MentorFactory(time_zone="Asia/Kolkata", first_name="Ravi")
    every_day(mentor, time(9), time(10))
    clock.set(datetime(2030, 3, 7, 12, tzinfo=UTC))
    client = client_for(mentee)  # after moving the clock: the login must not look expired

    html = client.get(URL.format(mentor.pk), {"duration_minutes": 60}).content.decode()

    assert 'value="2030-03-09T03:30:00+00:00"> <span>22:30</span>' in html
    assert 'value="2030-03-10T03:30:00+00:00"> <span>22:30</span>' in html
    assert 'value="2030-03-11T03:30:00+00:00"> <span>23:30</span>' in html
    assert "<legend>Friday, 8 March 2030</legend>" in html
    assert "<legend>Sunday, 10 March 2030</legend>" in html


@pytest.mark.django_db
def test_mentor_sees_that_they_cannot_book_themself(available_mentor):
    response = client_for(available_mentor).get(URL.format(available_mentor.pk))

    assert response.status_code == 200
    assert "You cannot book a session with yourself." in visible_text(response.text)
    assert 'name="start"' not in response.content.decode()


@pytest.mark.django_db
def test_mentor_posting_to_book_themself_is_refused(available_mentor):
    slot = a_free_slot(available_mentor)

    response = post(
        client_for(available_mentor), available_mentor, start=slot.isoformat(), duration_minutes=45
    )

    assert response.status_code == 400
    assert "You cannot book a session with yourself." in visible_text(response.text)
    assert created() == NOTHING


@pytest.mark.django_db
def test_booking_from_the_page(available_mentor, mentee, admin_user):
    slot = a_free_slot(available_mentor)
    client = client_for(mentee)

    response = post(
        client, available_mentor, start=slot.isoformat(), duration_minutes=45, notes="Goroutines"
    )

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert messages_of(response) == [
        ("success", "Booking received! It is pending until an admin confirms it.")
    ]
    session = MentoringSession.objects.get()
    assert (session.mentor, session.mentee, session.start, session.duration_minutes) == (
        available_mentor,
        mentee,
        slot,
        45,
    )
    assert (session.status, session.amount, session.notes) == (
        Status.PENDING,
        Decimal("60.00"),
        "Goroutines",
    )
    assert created() == {"sessions": 1, "events": 1, "payments": 1, "emails": 3, "tasks": 0}


@pytest.mark.django_db
def test_the_booking_shows_on_the_dashboard_as_pending(available_mentor, mentee):
    client = client_for(mentee)
    post(
        client,
        available_mentor,
        start=a_free_slot(available_mentor).isoformat(),
        duration_minutes=45,
    )

    dashboard = client.get("/dashboard/")

    text = visible_text(dashboard.text)
    assert "Ravi Kumar" in text
    assert "PENDING" in text.upper()
    assert "Awaiting confirmation" in text


@pytest.mark.django_db
def test_a_posted_amount_is_ignored(available_mentor, mentee):
    slot = a_free_slot(available_mentor)

    post(
        client_for(mentee),
        available_mentor,
        start=slot.isoformat(),
        duration_minutes=45,
        amount="0.01",
        hourly_rate="1.00",
    )

    assert MentoringSession.objects.get().amount == Decimal("60.00")
    assert Payment.objects.get().amount == Decimal("60.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        ({"duration_minutes": "120"}, "Choose a session length of 30, 45, 60 or 90 minutes."),
        ({"duration_minutes": ""}, "Choose a session length of 30, 45, 60 or 90 minutes."),
        ({"start": ""}, "Choose a time from the list."),
        ({"start": "tomorrow at nine"}, "Choose a time from the list."),
        ({"start": "2030-01-07T09:00:00"}, "Choose a time from the list."),  # no zone
        ({"notes": "x" * 2001}, "Notes can be at most 2000 characters long."),
        (
            {"start": "2020-01-06T09:00:00+00:00"},
            "That time is in the past. Please choose a time from the list.",
        ),
    ],
)
def test_page_refuses_bad_input_with_400_and_books_nothing(available_mentor, mentee, data, message):
    values = {"start": a_free_slot(available_mentor).isoformat(), "duration_minutes": "45"}

    response = post(client_for(mentee), available_mentor, **{**values, **data})

    assert response.status_code == 400
    assert message in visible_text(response.text)
    assert created() == NOTHING


@pytest.mark.django_db
def test_page_refuses_a_slot_taken_meanwhile(available_mentor, mentee, other_mentee):
    slot = a_free_slot(available_mentor)
    SessionFactory(mentor=available_mentor, mentee=other_mentee, start=slot, duration_minutes=30)
    before = created()

    response = post(
        client_for(mentee), available_mentor, start=slot.isoformat(), duration_minutes=45
    )

    assert response.status_code == 400
    assert SLOT_TAKEN in visible_text(response.text)
    assert 'name="start"' in response.content.decode()  # the form, with the other times
    assert created() == before


@pytest.mark.django_db
def test_page_refuses_a_slot_free_for_a_shorter_session_only(available_mentor, mentee):
    # The last 30-minute slot of the day (23:00 Kolkata) cannot hold 90 minutes.
    slots = free_slots(available_mentor, duration_minutes=30)
    late = next(s for s in slots if s.astimezone(available_mentor.zone).time() == time(23))

    response = post(
        client_for(mentee), available_mentor, start=late.isoformat(), duration_minutes=90
    )

    assert response.status_code == 400
    assert NOT_OFFERED in visible_text(response.text)
    assert SLOT_TAKEN not in visible_text(response.text)
    assert created() == NOTHING


@pytest.mark.django_db
def test_page_keeps_the_notes_and_the_chosen_time_after_a_refusal(available_mentor, mentee):
    slot = a_free_slot(available_mentor).isoformat()

    response = post(
        client_for(mentee),
        available_mentor,
        start=slot,
        duration_minutes=45,
        notes="x" * 2001,
    )

    html = response.content.decode()
    assert f'value="{slot}" checked' in html
    assert "x" * 2001 in html


@pytest.mark.django_db
def test_page_rejects_other_methods(available_mentor, mentee):
    assert client_for(mentee).put(URL.format(available_mentor.pk)).status_code == 405


# --- the cancel cut-off, before booking ------------------------------------------------------

INSIDE_CUTOFF = (
    "This time starts within 24 hours: once confirmed, it can no longer be cancelled here. "
    "Until it is confirmed, you can withdraw the request."
)


def _cutoff_note(html: str) -> str:
    """The visible text of the note next to "Request booking" about the chosen time."""
    match = re.search(r"<p [^>]*data-cutoff-note[^>]*>(.*?)</p>", html, re.S)
    assert match, "no cut-off note"
    return visible_text(match.group(1))


@pytest.mark.django_db
@pytest.mark.clock(NOW)
def test_page_states_the_cutoff_when_the_chosen_time_is_inside_it(clock, available_mentor, mentee):
    chosen = free_slots(available_mentor, duration_minutes=45)[0]  # 12 hours ahead
    assert chosen < NOW + timedelta(hours=24)

    response = client_for(mentee).get(
        URL.format(available_mentor.pk), {"start": chosen.isoformat(), "duration_minutes": 45}
    )

    assert _cutoff_note(response.content.decode()) == INSIDE_CUTOFF


@pytest.mark.django_db
@pytest.mark.clock(NOW)
def test_page_says_nothing_of_the_cutoff_for_a_time_outside_it(clock, available_mentor, mentee):
    chosen = next(
        slot
        for slot in free_slots(available_mentor, duration_minutes=45)
        if slot >= NOW + timedelta(hours=24)
    )

    response = client_for(mentee).get(
        URL.format(available_mentor.pk), {"start": chosen.isoformat(), "duration_minutes": 45}
    )

    html = response.content.decode()
    assert _cutoff_note(html) == ""
    assert f'data-text="{INSIDE_CUTOFF}"' in html  # for the script, once a time is chosen


@pytest.mark.django_db
@pytest.mark.clock(NOW)
def test_page_marks_the_times_inside_the_cutoff_and_says_until_when_they_run(
    clock, available_mentor, mentee
):
    slots = first_week(free_slots(available_mentor, duration_minutes=45), mentee)
    inside = [slot for slot in slots if slot < NOW + timedelta(hours=24)]

    html = client_for(mentee).get(URL.format(available_mentor.pk)).content.decode()

    marked = re.findall(r'name="start" data-within-cutoff value="([^"]+)"', html)
    assert marked == [slot.isoformat() for slot in inside] and inside
    assert (
        "Times before 2030-01-01 19:00 (America/New_York) start within 24 hours: once "
        "confirmed, they can no longer be cancelled here."
    ) in visible_text(html)


@pytest.mark.django_db
@pytest.mark.clock(NOW)
def test_a_refused_booking_inside_the_cutoff_still_states_it(clock, available_mentor, mentee):
    chosen = free_slots(available_mentor, duration_minutes=45)[0]

    response = post(
        client_for(mentee),
        available_mentor,
        start=chosen.isoformat(),
        duration_minutes=45,
        notes="x" * 2001,
    )

    assert response.status_code == 400
    assert _cutoff_note(response.content.decode()) == INSIDE_CUTOFF
    assert created() == NOTHING


# --- query count -----------------------------------------------------------------------------

# session + user (2), the mentor with their profile (1), windows, exceptions, sessions (3)
BOOKING_PAGE_QUERIES = 6


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_booking_page_queries(count, django_assert_num_queries, mentee, other_mentee):
    mentor = MentorFactory(time_zone="Europe/Berlin")
    now = timezone.now()
    for n in range(count):
        WeeklyAvailabilityFactory(mentor=mentor, weekday=n, start_time=time(8), end_time=time(18))
        SessionFactory(mentor=mentor, mentee=other_mentee, start=now + timedelta(days=n + 2))
    client = client_for(mentee)

    with django_assert_num_queries(BOOKING_PAGE_QUERIES):
        response = client.get(URL.format(mentor.pk))

    assert response.status_code == 200


# A booking POST by an account that tried before (its row of recent attempts exists): the
# session + user (2), the mentor with their profile (1); the attempt counted, in its own
# transaction (its row locked and updated: 2; a savepoint's two markers under the test's
# transaction); then the booking's transaction (2 markers): the profile and the mentee
# locked (2), their requests waiting for confirmation counted (1), the mentee's clash (1),
# windows, exceptions, sessions (3), the session, its audit row, its payment (3), the
# admins (1), the emails (1) and the webhook deliveries (1, however many endpoints).
BOOKING_POST_QUERIES = 22


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_booking_post_queries(count, django_assert_num_queries, available_mentor, mentee):
    now = timezone.now()
    for n in range(count):  # requests waiting with other mentors: counted, not listed
        SessionFactory(mentee=mentee, start=now + timedelta(days=30 + n))
    client = client_for(mentee)
    post(client, available_mentor, start="", duration_minutes=45)  # an earlier attempt
    slot = a_free_slot(available_mentor).isoformat()

    with django_assert_num_queries(BOOKING_POST_QUERIES):
        response = post(client, available_mentor, start=slot, duration_minutes=45)

    assert response.status_code == 302


@pytest.mark.django_db
def test_page_shows_seven_days_of_times_with_a_link_to_later_ones(available_mentor, mentee):
    html = client_for(mentee).get(f"/mentors/{available_mentor.pk}/book/").content.decode()

    assert html.count('<fieldset class="slot-day">') == 7
    assert "Later times →" in html
    assert "← Earlier times" not in html


@pytest.mark.django_db
def test_a_start_chosen_on_the_profile_is_preselected(available_mentor, mentee):
    from availability.slots import free_slots

    later = free_slots(available_mentor, duration_minutes=60)[-1].isoformat()
    response = client_for(mentee).get(
        f"/mentors/{available_mentor.pk}/book/", {"start": later, "duration_minutes": 60}
    )

    html = response.content.decode()
    assert f'value="{later}" checked' in html
    assert "← Earlier times" in html


@pytest.mark.django_db
def test_profile_free_times_link_to_the_booking_page_with_that_start(available_mentor, mentee):
    from urllib.parse import quote

    html = client_for(mentee).get(f"/mentors/{available_mentor.pk}/").content.decode()

    first = free_slots(available_mentor, duration_minutes=45)[0].isoformat()
    assert f'href="/mentors/{available_mentor.pk}/book/?start={quote(first)}"' in html
