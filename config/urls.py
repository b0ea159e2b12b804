from django.contrib import admin
from django.urls import include, path, register_converter

from accounts import views as account_views
from common.converters import IdConverter
from mentors import views as mentor_views
from ops.health import healthz

handler500 = "config.errors.server_error"

# Before the apps' URLs are included: their routes take ids as <id:pk>.
register_converter(IdConverter, "id")

urlpatterns = [
    path("", mentor_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/login/", account_views.EmailLoginView.as_view(), name="login"),
    path("accounts/", include("accounts.urls")),
    path("account/", account_views.account, name="account"),
    path("account/api-tokens/", account_views.api_tokens, name="api_tokens"),
    path("account/api-tokens/<id:pk>/revoke/", account_views.revoke_token, name="api_token_revoke"),
    path("account/email/<str:token>/", account_views.confirm_email, name="account_email_confirm"),
    path("", include("bookings.urls")),
    path("", include("mentors.urls")),
    path("", include("availability.urls")),
    path("", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("", include("webhooks.urls")),
    path("django-admin/", admin.site.urls),
]
