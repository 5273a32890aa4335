from django.urls import path

from . import registration_api as api

urlpatterns = [
    path("application", api.ApplicationView.as_view(), name="api-application"),
    path("application/submit", api.ApplicationSubmitView.as_view(), name="api-application-submit"),
    path(
        "application/declaration",
        api.DeclarationView.as_view(),
        name="api-application-declaration",
    ),
]
