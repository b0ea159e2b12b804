"""Django's own account views under /accounts/ (logout, password change, password reset),
with the product's forms: every password check behind the login throttle, limited reset
requests, a completed reset unlocking the account. Each answers only the methods it serves
(docs/PRODUCT.md §1.2): as Django maps them (django.contrib.auth.urls) they would also
answer OPTIONS, and take PUT as POST. The log-in is mapped in config/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.http import require_http_methods

from accounts import views
from accounts.forms import NewPasswordForm

PAGE = ["get", "head"]
FORM = ["get", "head", "post"]

urlpatterns = [
    path("logout/", auth_views.LogoutView.as_view(http_method_names=["post"]), name="logout"),
    path(
        "password_change/",
        views.PasswordChangeView.as_view(http_method_names=FORM),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(http_method_names=PAGE),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        views.PasswordResetView.as_view(http_method_names=FORM),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(http_method_names=PAGE),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        # Its dispatch() answers a link (redirect, or "invalid link") before the method is
        # looked at, so the methods are checked in front of it.
        require_http_methods([method.upper() for method in FORM])(
            auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm)
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(http_method_names=PAGE),
        name="password_reset_complete",
    ),
]
