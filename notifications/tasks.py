"""Delivery tasks queued before the task moved to notifications.delivery are stored under
this module's path; the worker imports them from here."""

from notifications.delivery import deliver_email

__all__ = ["deliver_email"]
