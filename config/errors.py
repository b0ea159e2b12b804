"""The 500 page, with where to write for help, and the 503 page while the database is away.

Django's own handler renders templates/500.html with an empty context (context processors
and the database may be what broke). This one adds only the support address, read from
settings, so the page still renders whatever failed.

An error that says the database cannot be reached (it is restarting, or the network to it
is down) is not a fault of the page: the person gets a plain 503 page that asks them to
try again shortly, with `Retry-After` (docs/PRODUCT.md §6.2). Django opens a new connection
on the next request, so the site recovers by itself once the database is back."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

# Seconds a client (or a proxy) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30


def database_is_away(error: BaseException | None) -> bool:
    """Whether an error means "no connection to the database", not a wrong query.

    psycopg and sqlite3 both report a lost or refused connection as OperationalError
    (InterfaceError: a connection already closed); a failed query under it, such as a
    lock timeout, is an OperationalError too, and gets the same page: try again."""
    return isinstance(error, (OperationalError, InterfaceError))


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the handler inside its `except` block: the error is the one in flight.
    if database_is_away(sys.exception()):
        page = loader.get_template("503.html")
        response = HttpResponse(page.render({}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    page = loader.get_template("500.html")
    return HttpResponseServerError(page.render({"support_email": settings.SUPPORT_EMAIL}))
