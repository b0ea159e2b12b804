"""Django's admin (/django-admin/, for data repair), answering only the methods it serves."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods

# Its pages are read with GET (HEAD) and changed with POST forms. Django's own views would
# answer any method, e.g. PUT on a change page renders it (docs/PRODUCT.md §1.2).
only_its_methods = require_http_methods(["GET", "HEAD", "POST"])


class AdminSite(admin.AdminSite):
    site_header = "CodeMentorHub data repair"

    def admin_view(self, view, cacheable=False):
        # Inside Django's wrapper: a visitor without access is still sent to the admin's
        # login first, whatever the method, as on the product's own pages.
        return super().admin_view(only_its_methods(view), cacheable)

    @method_decorator(only_its_methods)
    def login(self, request, extra_context=None):
        return super().login(request, extra_context)


class AdminConfig(DjangoAdminConfig):
    default_site = "config.admin_site.AdminSite"
