from django.urls import path

from webhooks import admin_views

urlpatterns = [
    path("admin/webhooks/", admin_views.endpoint_list, name="admin_webhooks"),
    path("admin/webhooks/new/", admin_views.endpoint_create, name="admin_webhook_create"),
    path("admin/webhooks/<id:pk>/", admin_views.endpoint_detail, name="admin_webhook_detail"),
    path(
        "admin/webhooks/<id:pk>/rotate-secret/",
        admin_views.rotate_secret,
        name="admin_webhook_rotate",
    ),
    path(
        "admin/webhooks/<id:pk>/enable/",
        admin_views.set_enabled,
        {"enabled": True},
        name="admin_webhook_enable",
    ),
    path(
        "admin/webhooks/<id:pk>/disable/",
        admin_views.set_enabled,
        {"enabled": False},
        name="admin_webhook_disable",
    ),
    path(
        "admin/webhooks/<id:pk>/delete/", admin_views.endpoint_delete, name="admin_webhook_delete"
    ),
    path(
        "admin/webhooks/deliveries/<id:pk>/resend/",
        admin_views.resend,
        name="admin_webhook_resend",
    ),
]
