"""Errors as RFC 9457 problem details (docs/PRODUCT.md §11): `application/problem+json`
with `type`, `title`, `status`, `detail`, and `errors` (a list of messages per field) where
fields were refused. `type` is "about:blank": the status says what kind of problem it is,
`title` is the status's own phrase, `detail` says what happened in the product's words."""

import json
from http import HTTPStatus

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class Problem(Exception):
    """Raised by the API's views and checks; answered as a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers

    def response(self) -> HttpResponse:
        return problem(self.status, self.detail, errors=self.errors, headers=self.headers)


def invalid(field: str, message: str) -> Problem:
    """422: one field was refused."""
    return Problem(422, f"{message}", errors={field: [message]})


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="api"'}
NOT_AUTHENTICATED = (
    "Send a valid API token: “Authorization: Bearer <token>”. Tokens are made at "
    "/account/api-tokens/."
)
NOT_FOUND = "There is nothing here, or nothing you may see."


def unauthorized() -> HttpResponse:
    return problem(401, NOT_AUTHENTICATED, headers=UNAUTHORIZED_HEADERS)


def not_found() -> HttpResponse:
    return problem(404, NOT_FOUND)
