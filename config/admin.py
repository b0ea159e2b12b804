"""Django's admin, kept for repairing data (docs/PRODUCT.md §1.1): behind the product's
login throttle like every other way in (ops/throttle.py), and answering only the methods
it serves."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

from accounts.forms import AdminLoginForm, refused_status

# Its pages are read with GET (HEAD) and changed with POST forms. Django's own views would
# answer any method, e.g. PUT on a change page renders it (docs/PRODUCT.md §1.2).
only_its_methods = require_http_methods(["GET", "HEAD", "POST"])


class DataRepairSite(admin.AdminSite):
    site_header = "CodeMentorHub data repair"
    login_form = AdminLoginForm

    def admin_view(self, view, cacheable=False):
        # Inside Django's wrapper: a visitor without access is still sent to the admin's
        # login first, whatever the method, as on the product's own pages.
        return super().admin_view(only_its_methods(view), cacheable)

    @method_decorator(only_its_methods)
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().login(request, extra_context)
        # A page shown again (not yet rendered) carries its form; a refused one answers 429.
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None and form.is_bound:
            response.status_code = refused_status(form, response.status_code)
        return response

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """One page changes a password, and it checks the current one behind the
        throttle: the product's."""
        return redirect("password_change")
