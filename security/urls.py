from django.urls import path

from . import views

# Mounted under /account/ beside accounts.urls; the URL names keep the account_ prefix.
urlpatterns = [
    path("members/invite/", views.member_invite, name="account_member_invite"),
    path(
        "members/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="account_invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation, name="account_invitation"),
    # Art. 6(3). Paths under /account/compromised work without accepting the terms.
    path("compromised/", views.compromised, name="account_compromised"),
    path("compromised/done/", views.compromised_done, name="account_compromised_done"),
    path("compromised/<str:token>/", views.compromised_link, name="account_compromised_link"),
]
