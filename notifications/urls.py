from django.urls import path

from notifications import admin_views

urlpatterns = [
    path("admin/emails/", admin_views.email_log, name="admin_emails"),
    path("admin/emails/<id:pk>/resend/", admin_views.resend, name="admin_email_resend"),
]
