from django import forms
from django.core.exceptions import ValidationError

from bookings.meeting_links import MAX_LINK_LENGTH, canonicalize_meeting_link
from bookings.models import Status
from bookings.selectors import AdminSessionFilters


class MeetingLinkField(forms.CharField):
    """A meeting link: trimmed, validated and canonicalised by the one shared validator."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Google Meet Link")
        kwargs.setdefault("max_length", MAX_LINK_LENGTH * 2)  # the validator says "too long"
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


class ChangeLinkForm(forms.Form):
    meeting_link = MeetingLinkField(required=True)


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Please give a reason for cancelling."},
    )


class AdminSessionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All statuses"), *Status.choices], required=False)
    q = forms.CharField(required=False, max_length=100, strip=True, label="Search")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

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
            q=data.get("q") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
