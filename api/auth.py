"""Who is asking: a personal API token in `Authorization: Bearer <token>`, and nothing else
(docs/PRODUCT.md §11). No session cookie is read, so a page open in the same browser
cannot be made to act through the API: that is why the API needs no CSRF token.

Each request with a live token counts against the token's rate limit
(API_RATE_LIMIT_PER_MINUTE), in the database like every limit (ops/ratelimit.py), so every
web process shares the count."""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from accounts.services import authenticate_api_token
from api.problems import Problem
from ops import ratelimit


def _rate() -> ratelimit.Rate:
    return ratelimit.Rate(
        scope="api", limit=settings.API_RATE_LIMIT_PER_MINUTE, window=timedelta(minutes=1)
    )


class TokenAuth(HttpBearer):
    """The token's owner acts, with exactly their rights: the views read `request.user`."""

    def authenticate(self, request: HttpRequest, token: str):
        found = authenticate_api_token(token.strip())
        if found is None:
            return None  # 401
        try:
            ratelimit.attempt(_rate(), f"token:{found.pk}")
        except ratelimit.RateLimited as refused:
            wait = ratelimit.retry_after_header(refused.retry_after)
            raise Problem(
                429,
                f"Too many requests with this token: at most "
                f"{settings.API_RATE_LIMIT_PER_MINUTE} a minute. Try again in {wait} seconds.",
                headers={"Retry-After": wait},
            ) from None
        owner = found.owner
        request.user = owner
        # Refusals name times in the person's own zone, as the pages do.
        timezone.activate(owner.zone)
        return owner
