from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import BOOKABLE_MINUTES
from availability.models import (
    AvailabilityException,
    ExceptionKind,
    Weekday,
    WeeklyAvailability,
)

# The shortest bookable session: a shorter window could never hold one.
SHORTEST_MINUTES = min(BOOKABLE_MINUTES)
SHORTEST_SESSION = timedelta(minutes=SHORTEST_MINUTES)
MAX_WEEKLY_WINDOWS = 50
EXCEPTION_DAYS_AHEAD = 366


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300})


def _minutes(value):
    # Wall-clock minutes are all a schedule needs; seconds would only misalign the grid.
    return value.replace(second=0, microsecond=0) if value is not None else None


def _length(start, end) -> timedelta:
    return timedelta(hours=end.hour - start.hour, minutes=end.minute - start.minute)


class _MentorScheduleForm(forms.ModelForm):
    """A mentor's own schedule row (weekly window or exception): the row is theirs, and
    its times are whole minutes."""

    def __init__(self, *args, mentor, **kwargs):
        super().__init__(*args, **kwargs)
        self.mentor = mentor
        self.instance.mentor = mentor

    def clean_start_time(self):
        return _minutes(self.cleaned_data["start_time"])

    def clean_end_time(self):
        return _minutes(self.cleaned_data["end_time"])

    def validate_constraints(self):
        # The database constraints restate clean()'s rules: once clean() has said why in
        # words, "Constraint … is violated" would only repeat it, less clearly.
        if not self._errors:
            super().validate_constraints()


class WeeklyWindowForm(_MentorScheduleForm):
    class Meta:
        model = WeeklyAvailability
        fields = ["weekday", "start_time", "end_time"]
        labels = {"weekday": "Day", "start_time": "From", "end_time": "Until"}
        widgets = {"start_time": _time_input(), "end_time": _time_input()}
        error_messages = {
            "start_time": {"required": "Give a start time.", "invalid": "Give a time like 09:00."},
            "end_time": {"required": "Give an end time.", "invalid": "Give a time like 17:00."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = Weekday.choices  # no empty "---------" choice

    def clean(self):
        data = super().clean()
        weekday, start, end = data.get("weekday"), data.get("start_time"), data.get("end_time")
        if start is None or end is None or weekday is None:
            return data
        if end <= start:
            raise ValidationError("The end time must be after the start time.")
        if _length(start, end) < SHORTEST_SESSION:
            raise ValidationError(f"A window must be at least {SHORTEST_MINUTES} minutes long.")
        mine = WeeklyAvailability.objects.filter(mentor=self.mentor)
        if mine.count() >= MAX_WEEKLY_WINDOWS:
            raise ValidationError(f"You can have at most {MAX_WEEKLY_WINDOWS} weekly windows.")
        clash = mine.filter(weekday=weekday, start_time__lt=end, end_time__gt=start).first()
        if clash:
            raise ValidationError(
                f"This overlaps your {clash.get_weekday_display()} window "
                f"{clash.start_time:%H:%M}–{clash.end_time:%H:%M}."
            )
        return data


class ExceptionForm(_MentorScheduleForm):
    class Meta:
        model = AvailabilityException
        fields = ["date", "kind", "start_time", "end_time"]
        labels = {
            "kind": "Type",
            "start_time": "From (optional for time off)",
            "end_time": "Until (optional for time off)",
        }
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "start_time": _time_input(),
            "end_time": _time_input(),
        }
        error_messages = {
            "date": {"required": "Choose a date.", "invalid": "Give a date like 2030-03-31."},
            "kind": {"required": "Choose time off or extra hours."},
            "start_time": {"invalid": "Give a time like 09:00."},
            "end_time": {"invalid": "Give a time like 17:00."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ExceptionKind.choices  # no empty "---------" choice

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = timezone.now().astimezone(self.mentor.zone).date()
        if day < today:
            raise ValidationError("Choose today or a later date.")
        if day > today + timedelta(days=EXCEPTION_DAYS_AHEAD):
            raise ValidationError("Choose a date within the next year.")
        return day

    def clean(self):
        data = super().clean()
        kind, start, end = data.get("kind"), data.get("start_time"), data.get("end_time")
        if kind is None or "start_time" in self.errors or "end_time" in self.errors:
            return data
        if start is None and end is None:
            if kind == ExceptionKind.EXTRA:
                raise ValidationError("Extra hours need a start and an end time.")
            return data
        if start is None or end is None:
            raise ValidationError(
                "Give both a start and an end time, or neither for a whole day off."
            )
        if end <= start:
            raise ValidationError("The end time must be after the start time.")
        if kind == ExceptionKind.EXTRA and _length(start, end) < SHORTEST_SESSION:
            raise ValidationError(f"Extra hours must be at least {SHORTEST_MINUTES} minutes long.")
        return data
