from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from contracts.lifecycle_api import CancellationView

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
    path("healthz", account_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("account/", include("security.urls")),
    path("apply/", include("contracts.registration_urls")),
    path("company/", include("contracts.lifecycle_urls")),
    path("catalogue/", include("cameras.urls")),
    path("rentals/", include("contracts.rentals_urls")),
    path("notices/", include("notices.urls")),
    path("terms/", include("terms.urls")),
    path("", include("contracts.records_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg")),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
