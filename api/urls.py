"""The JSON API at /api/v1/ (docs/API.md): django-ninja builds the routes and the OpenAPI
document from the views' types; every error leaves as a problem (api/problems.py)."""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.openapi.docs import Swagger
from ninja.parser import Parser

from api import mentors, sessions
from api.auth import TokenAuth
from api.problems import Problem, not_found, problem, unauthorized
from bookings.models import MentoringSession


class Docs(Swagger):
    """Swagger UI from our own page: its script is a file (static/js/api-docs.js), so the
    Content-Security-Policy that forbids inline scripts holds here too."""

    template = "api/docs.html"


class NotAnObject(ValueError):
    """A body that is JSON, but not an object (a list, a string, a number, null)."""


class JsonObjects(Parser):
    """Every body the API reads is one JSON object; anything else is refused whole (400)
    before its fields are looked at."""

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise NotAnObject("The request body must be a JSON object.")
        return data


api = NinjaAPI(
    title="CodeMentorHub API",
    version="1",
    description=(
        "Read and drive CodeMentorHub's sessions, the mentor directory and booking. "
        "Send a personal token (made at /account/api-tokens/) as "
        "`Authorization: Bearer <token>`. Errors are RFC 9457 problem details."
    ),
    auth=TokenAuth(),
    parser=JsonObjects(),
    urls_namespace="api",
    # No deep links: they put a link inside each operation's button (nested controls).
    docs=Docs(settings={"tryItOutEnabled": False, "deepLinking": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", sessions.router)
api.add_router("", mentors.router)


def _field(location: tuple) -> str:
    """`("body", "payload", "start")` → "start"; `("query", "status")` → "status"."""
    parts = [str(part) for part in location[1:]]
    if parts and parts[0] in ("payload", "filters", "query"):
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(RequestInvalid)
def request_invalid(request: HttpRequest, error: RequestInvalid) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        field = _field(tuple(item.get("loc", ())))
        message = str(item.get("msg", "Invalid value."))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        errors.setdefault(field, []).append(message)
    if "body" in errors:
        # The body as a whole was not what the route reads (a list, a string, null).
        return problem(400, "The request body must be a JSON object.", errors=errors)
    return problem(422, "Some fields were refused; see `errors`.", errors=errors)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if isinstance(error, AuthenticationError):
        return unauthorized()
    if error.status_code == 400:  # the body could not be read (the framework wraps the reason)
        if isinstance(error.__cause__, NotAnObject):
            return problem(400, str(error.__cause__))
        return problem(400, "The request body is not valid JSON.")
    return problem(error.status_code, str(error))


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return problem(400, "The request body is too large.")


@api.exception_handler(Problem)
def refused(request: HttpRequest, error: Problem) -> HttpResponse:
    return error.response()


@api.exception_handler(Http404)
def missing(request: HttpRequest, error: Http404) -> HttpResponse:
    return not_found()


@api.exception_handler(MentoringSession.DoesNotExist)
def gone(request: HttpRequest, error: Exception) -> HttpResponse:
    return not_found()


@csrf_exempt
def no_such_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /api/: a 404 problem, whatever the method (and never a redirect
    to an address with a slash added)."""
    return not_found()


urlpatterns = [
    path("v1/", api.urls),
    re_path(r"^(?P<rest>.*)$", no_such_route),
]
