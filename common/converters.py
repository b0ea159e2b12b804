"""Path converters for the project's URLs (registered once, in config/urls.py)."""

# The largest id the database can hold: every model's key is a BIGINT (DEFAULT_AUTO_FIELD).
LARGEST_ID = 2**63 - 1


class IdConverter:
    """`<id:pk>`: a row's id, 1 to LARGEST_ID, written without a leading zero.

    Django's `int` also matches 0, `007` and numbers no BIGINT holds; the last reach the
    database, where SQLite cannot even bind them (a 500). Anything this refuses matches no
    route, so it answers 404 before any view or login check runs (docs/PRODUCT.md §1.2),
    and every object has one address.

    `0` matches the pattern only so that `reverse()` can build a placeholder address (the
    admin dialogs' action template, which static/js/site.js fills with a session's id);
    resolving it is refused like any other id no row has."""

    regex = "0|[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= LARGEST_ID:
            raise ValueError(f"{value} is no id the database holds")
        return number

    def to_url(self, value: int) -> str:
        return str(value)
