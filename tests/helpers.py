"""Reading what a response shows: its Django messages and its visible text."""

import html
import re

from django.contrib.messages import get_messages


def messages_of(response) -> list[tuple[str, str]]:
    """The messages the request added or showed, as (level tag, text): for a redirect the
    ones waiting for the next page, for a page (or a followed redirect) the ones it showed."""
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def visible_text(markup: str) -> str:
    """What a reader sees: tags become spaces, entities are decoded, whitespace collapses."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
