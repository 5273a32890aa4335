from django.urls import path

from . import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="api-me"),
    path("tokens", api.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<str:token_key>", api.TokenDetailView.as_view(), name="api-token-detail"),
]
