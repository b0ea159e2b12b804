"""Addresses of pages, for what is read outside the site."""

from django.conf import settings
from django.urls import reverse


def absolute_url(viewname: str, *args, query: str = "") -> str:
    """The full address of a page, for emails and invites (read outside the site): SITE_URL
    plus the reversed path, and `query` (already encoded, without "?") if any."""
    url = settings.SITE_URL + reverse(viewname, args=args)
    return f"{url}?{query}" if query else url
