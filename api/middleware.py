"""What every response under /api/ says, whichever part of Django answered it."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from api.problems import CONTENT_TYPE, not_found, problem


class ApiResponsesMiddleware:
    """Under /api/: a 404 or a 405 from the router (a known path, another method) becomes a problem
    that keeps its `Allow` header; so do the error pages for a failure (500) or a database
    that cannot be reached (503, keeping its `Retry-After`: config/errors.py); and no response
    is stored by any cache (each holds one person's data, chosen by their token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        is_problem = response.get("Content-Type") == CONTENT_TYPE
        if response.status_code == 404 and not is_problem:
            response = not_found()  # e.g. /api/v1/ itself, which the router answers so
        elif response.status_code == 405 and not is_problem:
            allowed = response.get("Allow", "")
            response = problem(
                405,
                f"This address answers {allowed or 'no other method'} only.",
                headers={"Allow": allowed},
            )
        elif response.status_code == 500 and not is_problem:
            response = problem(
                500,
                "Something went wrong. We have been told and will look into it. Please try "
                f"again in a moment; if it keeps happening, write to {settings.SUPPORT_EMAIL}.",
            )
        elif response.status_code == 503 and not is_problem:
            retry_after = response.get("Retry-After", "")
            response = problem(
                503,
                "CodeMentorHub cannot reach its data just now. A change you were making was "
                "made whole or not at all: please check, and try again in a minute.",
                headers={"Retry-After": retry_after} if retry_after else None,
            )
        if not request.path.startswith("/api/v1/docs"):
            patch_cache_control(response, private=True, no_store=True)
        return response
