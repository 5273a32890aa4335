from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from contracts.lifecycle_api import CancellationView
from ctsportal import views as portal_views
from ctsportal.api import api_not_found

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("security.api_urls")),
    path("", include("contracts.registration_api_urls")),
    path("", include("cameras.api_urls")),
    path("", include("contracts.rentals_api_urls")),
    path("cancellation", CancellationView.as_view(), name="api-cancellation"),
    path("", include("contracts.records_api_urls")),
    path("", include("notices.api_urls")),
    path("", include("terms.api_urls")),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("dashboard/", account_views.dashboard, name="dashboard"),
    # The most-read pages and the API first: Django tries the patterns in order, and each
    # prefix tried before the one that matches costs every request a little (the prefixes
    # below do not overlap, so the order changes nothing else).
    path("rentals/", include("contracts.rentals_urls")),
    path("notices/", include("notices.urls")),
    path("terms/", include("terms.urls")),
    path("api/v1/", include(api_v1)),
    path("ended/", portal_views.customer_ended, name="customer_ended"),
    path("healthz", account_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before allauth's own: a dead verification link answers 404/410 with a helpful page.
    path(
        "accounts/confirm-email/<str:key>/",
        account_views.ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    # Before allauth's own: a login disabled by its company's cancellation is told why.
    path("accounts/inactive/", portal_views.account_inactive, name="account_inactive"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("account/", include("security.urls")),
    path("apply/", include("contracts.registration_urls")),
    path("company/", include("contracts.lifecycle_urls")),
    path("catalogue/", include("cameras.urls")),
    path("", include("contracts.records_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script: CSP);
    # its page keeps a small <style> element of its own, allowed on that page only.
    path(
        "api/docs/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    # Anything else under /api/ answers the API's JSON error shape, never an HTML page.
    re_path(r"^api/", api_not_found, name="api-not-found"),
    path(
        "favicon.ico",
        RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg"),
        name="favicon",
    ),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
