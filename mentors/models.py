from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

MIN_RATING = 1
MAX_RATING = 5
MAX_COMMENT_LENGTH = 2000


class Feedback(models.Model):
    """A mentee's rating of one completed session: at most one per session."""

    session = models.OneToOneField(
        "bookings.MentoringSession", on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)]
    )
    comment = models.TextField(blank=True, max_length=MAX_COMMENT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "feedback"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING),
                name="feedback_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for session {self.session_id}"
