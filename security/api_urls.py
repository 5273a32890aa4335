from django.urls import path

from . import api

urlpatterns = [
    path("members/invitations", api.InvitationCreateView.as_view(), name="api-invitations"),
    path("account/compromised", api.CompromisedView.as_view(), name="api-compromised"),
]
