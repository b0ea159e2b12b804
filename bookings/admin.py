"""Django's own admin (/django-admin/) for data repair; the product's admin area is
/admin/sessions/. A session's status, time, length, people, links and price are read-only
here: they change only through bookings.services, which tells both people, sends the
updated invite, writes the audit entry and keeps to the no-overlap rules
(docs/PRODUCT.md §4.1). Sessions are made by booking, so none are added here."""

from django.contrib import admin

from bookings.models import MentoringSession, SessionEvent
from notifications.models import OutboundEmail


class SessionEventInline(admin.TabularInline):
    model = SessionEvent
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "old_link",
        "new_link",
        "note",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OutboundEmailInline(admin.TabularInline):
    model = OutboundEmail
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "to_email", "state", "attempts", "last_error", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MentoringSession)
class MentoringSessionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "mentor",
        "mentee",
        "start",
        "duration_minutes",
        "status",
        "payment_status",
        "amount",
    ]
    list_filter = ["status", "payment_status"]
    list_per_page = 25  # as the sessions dashboard (and so compared in `make bench`)
    list_select_related = ["mentor", "mentee"]
    search_fields = ["mentor__email", "mentor__last_name", "mentee__email", "mentee__last_name"]
    date_hierarchy = "start"
    readonly_fields = [
        "mentor",
        "mentee",
        "start",
        "duration_minutes",
        "status",
        "payment_status",
        "amount",
        "currency",
        "admin_provided_link",
        "meeting_link",
        "link_provided_at",
        "confirmed_by",
        "confirmed_at",
        "completed_at",
        "cancelled_by",
        "cancelled_at",
        "cancellation_reason",
        "ics_sequence",
        "ics_uid",
        "created_at",
        "updated_at",
    ]
    inlines = [SessionEventInline, OutboundEmailInline]

    def has_add_permission(self, request) -> bool:
        return False
