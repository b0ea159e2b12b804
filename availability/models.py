"""A mentor's bookable hours: weekly windows plus dated exceptions, in the mentor's own zone.

Times are wall-clock times (`time`, no zone) on purpose: "Mondays 09:00–12:00" must stay
09:00 in the mentor's zone on both sides of a DST change. availability.slots turns them into
UTC instants for one date at a time.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyAvailability(models.Model):
    """A recurring window, e.g. every Monday 09:00–12:00 in the mentor's time zone."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_availability"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "weekly availability window"
        verbose_name_plural = "weekly availability windows"
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="weekly_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="weekly_start_before_end"
            ),
        ]
        indexes = [models.Index(fields=["mentor", "weekday"], name="weekly_mentor_weekday")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class ExceptionKind(models.TextChoices):
    OFF = "off", "Time off"
    EXTRA = "extra", "Extra hours"


class AvailabilityException(models.Model):
    """One date that differs from the weekly pattern: time off (the whole day, or from
    start to end) or extra hours (start to end) — wall-clock times in the mentor's zone."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=ExceptionKind.choices)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "availability exception"
        ordering = ["date", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ExceptionKind.values), name="exception_kind_valid"
            ),
            # Either the whole day (no times, time off only) or a start before an end.
            models.CheckConstraint(
                condition=(
                    Q(start_time__isnull=True, end_time__isnull=True, kind=ExceptionKind.OFF)
                    | Q(
                        start_time__isnull=False,
                        end_time__isnull=False,
                        start_time__lt=F("end_time"),
                    )
                ),
                name="exception_times_valid",
            ),
        ]
        indexes = [models.Index(fields=["mentor", "date"], name="exception_mentor_date")]

    def __str__(self) -> str:
        if self.start_time is None:
            return f"{self.date:%Y-%m-%d}: {self.get_kind_display()} (all day)"
        return (
            f"{self.date:%Y-%m-%d}: {self.get_kind_display()} "
            f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        )

    @property
    def is_whole_day(self) -> bool:
        return self.start_time is None
