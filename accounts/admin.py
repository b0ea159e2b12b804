from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models

from accounts.models import ApiToken, MentorProfile, SkillOptions, User
from common.email_addresses import EmailAddressField


class RecountsSkillOptions:
    """Deleting a person or a mentor profile here deletes the profile without saving it:
    the directory's skill filter is counted again (accounts.models.SkillOptions)."""

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        SkillOptions.refresh()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        SkillOptions.refresh()


@admin.register(User)
class UserAdmin(RecountsSkillOptions, BaseUserAdmin):
    ordering = ["email"]
    # The model's rule checks it anyway; this makes the message the one every form shows.
    formfield_overrides = {models.EmailField: {"form_class": EmailAddressField}}
    list_display = ["email", "first_name", "last_name", "is_staff", "time_zone"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "time_zone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "password1", "password2")}),
    )


@admin.register(MentorProfile)
class MentorProfileAdmin(RecountsSkillOptions, admin.ModelAdmin):
    list_display = ["user", "headline", "hourly_rate", "status"]
    list_filter = ["status"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "headline"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Data repair: find a person's tokens by name or first characters, e.g. one reported
    leaked. Tokens are made only by their owners (the token is shown to them alone), and
    revoked on the tokens page; here they can be deleted."""

    list_display = ["name", "owner", "prefix", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix", "owner__email"]
    readonly_fields = ["owner", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False
