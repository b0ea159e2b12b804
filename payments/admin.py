"""Django's own admin (/django-admin/): payments are read-only here — their status changes
only through payments.services, which keeps the session's copy in step."""

from django.contrib import admin

from payments.models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "session", "amount", "currency", "status", "provider", "reference"]
    list_filter = ["status", "provider"]
    list_select_related = ["session__mentor", "session__mentee"]
    search_fields = ["reference", "session__mentor__email", "session__mentee__email"]
    readonly_fields = [
        "session",
        "amount",
        "currency",
        "status",
        "provider",
        "paid_by",
        "created_at",
        "paid_at",
        "refunded_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
