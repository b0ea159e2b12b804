from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import EmailAuthenticationForm, OutboxPasswordResetForm
from bookings import admin_views, views

admin.site.site_header = "CodeMentorHub data repair"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/complete/", views.mentor_complete, name="session_complete"),
    path("sessions/<int:pk>/cancel/", views.mentor_cancel, name="session_cancel"),
    path("admin/sessions/", admin_views.session_list, name="admin_sessions"),
    path("admin/sessions/<int:pk>/set-status/", admin_views.set_status, name="admin_set_status"),
    path("admin/sessions/<int:pk>/change-link/", admin_views.change_link, name="admin_change_link"),
    path("django-admin/", admin.site.urls),
]
