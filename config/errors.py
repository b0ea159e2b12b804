"""The 500 page, with where to write for help.

Django's own handler renders templates/500.html with an empty context (context processors
and the database may be what broke). This one adds only the support address, read from
settings, so the page still renders whatever failed."""

from django.conf import settings
from django.http import HttpRequest, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    page = loader.get_template("500.html")
    return HttpResponseServerError(page.render({"support_email": settings.SUPPORT_EMAIL}))
