from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import NewPasswordForm
from mentors import views as mentor_views
from ops.health import healthz

urlpatterns = [
    path("", mentor_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/login/", account_views.EmailLoginView.as_view(), name="login"),
    # Django's own account pages, with the product's forms: every password check behind
    # the login throttle, limited reset requests, a completed reset unlocking the account.
    path(
        "accounts/password_change/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", account_views.account, name="account"),
    path("", include("bookings.urls")),
    path("", include("mentors.urls")),
    path("", include("availability.urls")),
    path("", include("notifications.urls")),
    path("django-admin/", admin.site.urls),
]
