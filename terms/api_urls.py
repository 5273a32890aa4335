from django.urls import path

from . import api

urlpatterns = [
    path("terms", api.TermsCurrentView.as_view(), name="api-terms"),
    path("terms/accept", api.TermsAcceptView.as_view(), name="api-terms-accept"),
    path(
        "terms/<slug:slug>/versions/<str:label>",
        api.TermsVersionView.as_view(),
        name="api-terms-version",
    ),
]
