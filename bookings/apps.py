from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self) -> None:
        # Lower layers learn about sessions through registration, never by importing us.
        from availability import slots
        from bookings import emails, selectors
        from notifications import freshness

        freshness.register(emails.out_of_date_reason)
        slots.register_busy_source(selectors.held_intervals)
