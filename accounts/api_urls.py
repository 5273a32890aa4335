from django.urls import path

from . import api

urlpatterns = [
    path("me", api.MeView.as_view(), name="api-me"),
    path("tokens", api.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<str:token_key>", api.TokenDetailView.as_view(), name="api-token-detail"),
    path("members", api.MemberListView.as_view(), name="api-members"),
    path("members/<int:pk>", api.MemberDetailView.as_view(), name="api-member-detail"),
    path("sessions", api.SessionListView.as_view(), name="api-sessions"),
    path("sessions/<int:pk>", api.SessionDetailView.as_view(), name="api-session-detail"),
]
