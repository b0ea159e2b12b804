from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from accounts.models import CHOOSE_A_SESSION_LENGTH, SESSION_LENGTHS
from bookings.meeting_links import MAX_LINK_LENGTH, canonicalize_meeting_link
from bookings.models import PaymentStatus, Status
from bookings.selectors import AdminSessionFilters
from common.keyset import Cursor


class MeetingLinkField(forms.CharField):
    """A meeting link: trimmed, validated and canonicalised by the one shared validator."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Google Meet Link")
        kwargs.setdefault("max_length", MAX_LINK_LENGTH * 2)  # the validator says "too long"
        kwargs.setdefault("error_messages", {"required": "A meeting link is required."})
        super().__init__(strip=False, **kwargs)
        self.widget = forms.URLInput(
            attrs={
                "placeholder": "https://meet.google.com/abc-defg-hij",
                "autocomplete": "off",
                "inputmode": "url",
            }
        )

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return ""
        return canonicalize_meeting_link(value)


class SetStatusForm(forms.Form):
    action = forms.ChoiceField(
        choices=Status.choices,
        error_messages={
            "invalid_choice": "Unknown action “%(value)s”; nothing was changed.",
            "required": "No action was chosen; nothing was changed.",
        },
    )
    meeting_link = MeetingLinkField(required=False)
    reason = forms.CharField(required=False, max_length=500, strip=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data.get("action") != Status.CONFIRMED:
            # The link only matters when confirming: a stray value must not block a cancel.
            self.fields["meeting_link"] = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") != Status.CONFIRMED:
            data["meeting_link"] = ""
        return data


class ChangeLinkForm(forms.Form):
    meeting_link = MeetingLinkField(required=True)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling (the mentee will see it)",
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Please give a reason for cancelling."},
    )


FIRST_DAY = date(2000, 1, 1)
BROKEN_PAGE_LINK = "This page link is broken; showing the first page."
LAST_DAY = date(2999, 12, 31)


class AdminSessionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All statuses"), *Status.choices], required=False)
    payment = forms.ChoiceField(
        choices=[("", "All payments"), *PaymentStatus.choices], required=False
    )
    q = forms.CharField(required=False, max_length=100, strip=True, label="Search")
    # Bounded: a day at the very edge of the calendar (9999-12-31, 0001-01-01) overflows
    # once it is turned into an instant in the admin's zone.
    date_from = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )
    date_to = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )

    # Keyset paging (common/keyset.py): the row a page starts after, or ends before.
    after = forms.CharField(
        required=False,
        max_length=60,
        widget=forms.HiddenInput,  # never rendered: a new filter starts from the top
        error_messages={"max_length": BROKEN_PAGE_LINK},
    )
    before = forms.CharField(
        required=False,
        max_length=60,
        widget=forms.HiddenInput,  # never rendered: a new filter starts from the top
        error_messages={"max_length": BROKEN_PAGE_LINK},
    )

    def _cursor(self, name: str) -> Cursor | None:
        raw = self.cleaned_data.get(name, "")
        if not raw:
            return None
        cursor = Cursor.parse(raw)
        if cursor is None:
            raise ValidationError(BROKEN_PAGE_LINK)
        return cursor

    def clean_after(self) -> Cursor | None:
        return self._cursor("after")

    def clean_before(self) -> Cursor | None:
        return self._cursor("before")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError("The “from” date must not be after the “to” date.")
        return data

    def filters(self) -> AdminSessionFilters:
        """The valid filters; an invalid one is dropped (and the form shows why)."""
        data = self.cleaned_data if self.is_bound else {}
        if self.errors:
            data = {k: v for k, v in data.items() if k not in self.errors}
            if "__all__" in self.errors:
                data.pop("date_to", None)
        return AdminSessionFilters(
            status=data.get("status") or "",
            payment=data.get("payment") or "",
            q=data.get("q") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            after=data.get("after"),
            before=data.get("before"),
        )


class StartField(forms.CharField):
    """A time picked from a page's list: ISO 8601 with its UTC offset, as the radio buttons
    send it (an aware datetime). Anything else — no offset, not a date — is the one message
    `invalid`, which defaults to `required`'s."""

    def __init__(self, *, error_messages: dict[str, str], **kwargs) -> None:
        kwargs.setdefault("max_length", 40)
        messages = {"invalid": error_messages["required"], **error_messages}
        super().__init__(error_messages=messages, **kwargs)

    def clean(self, value):
        raw = super().clean(value)
        try:
            start = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(start):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return start


class BookingForm(forms.Form):
    """A mentee's booking request. There is deliberately no amount field: the amount is
    computed on the server from the mentor's current rate, and a posted one is ignored."""

    start = StartField(error_messages={"required": "Choose a time from the list."})
    duration_minutes = forms.TypedChoiceField(
        label="Session length",
        coerce=int,
        choices=SESSION_LENGTHS,
        error_messages={
            "invalid_choice": CHOOSE_A_SESSION_LENGTH,
            "required": CHOOSE_A_SESSION_LENGTH,
        },
    )
    notes = forms.CharField(
        label="Notes for your mentor (optional)",
        required=False,
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What would you like to work on?"}),
        error_messages={"max_length": "Notes can be at most 2000 characters long."},
    )


class PaymentActionForm(forms.Form):
    reference = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        error_messages={"max_length": "The payment reference is too long; nothing was changed."},
    )


CHOOSE_A_NEW_TIME = "Choose a new time from the list of free times."


class RescheduleForm(forms.Form):
    """A move to another time (docs/PRODUCT.md §2.7): the new start from the page's list;
    the length stays the session's."""

    start = StartField(
        label="New time",
        error_messages={"required": CHOOSE_A_NEW_TIME, "max_length": CHOOSE_A_NEW_TIME},
    )
    reason = forms.CharField(
        label="Reason for moving (optional)",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        error_messages={"max_length": "The reason can be at most 500 characters."},
    )
    # The session's start as the page showed it: a move chosen while looking at a time
    # someone has changed since is refused (docs/PRODUCT.md §2.7). Optional.
    seen = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean_seen(self) -> datetime | None:
        try:
            seen = datetime.fromisoformat(self.cleaned_data["seen"])
        except ValueError:
            return None
        return None if timezone.is_naive(seen) else seen
