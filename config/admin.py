"""Django's admin, kept for repairing data (docs/PRODUCT.md §1.1), behind the product's
login throttle like every other way in (ops/throttle.py)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.forms import AdminLoginForm, refused_status


class DataRepairSite(admin.AdminSite):
    site_header = "CodeMentorHub data repair"
    login_form = AdminLoginForm

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
