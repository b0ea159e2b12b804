"""What every page's template may use, whichever app renders it."""

from django.conf import settings
from django.http import HttpRequest


def support(request: HttpRequest) -> dict[str, str]:
    """`support_email`: where people write with questions (SUPPORT_EMAIL)."""
    return {"support_email": settings.SUPPORT_EMAIL}
