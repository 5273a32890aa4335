from django.urls import path

from . import views

urlpatterns = [
    path("", views.account_overview, name="account_overview"),
    path("tokens/", views.token_list, name="account_tokens"),
    path("tokens/<str:token_key>/revoke/", views.token_revoke, name="account_token_revoke"),
    path("members/", views.members, name="account_members"),
    path("members/invite/", views.member_invite, name="account_member_invite"),
    path("members/mfa-required/", views.members_mfa_required, name="account_mfa_required"),
    path(
        "members/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="account_invitation_revoke",
    ),
    path("members/<int:pk>/remove/", views.member_remove, name="account_member_remove"),
    path("members/<int:pk>/make-owner/", views.member_make_owner, name="account_member_make_owner"),
    path("invitations/<str:token>/", views.invitation, name="account_invitation"),
    # Art. 6(3). Paths under /account/compromised work without accepting the terms.
    path("compromised/", views.compromised, name="account_compromised"),
    path("compromised/done/", views.compromised_done, name="account_compromised_done"),
    path("compromised/<str:token>/", views.compromised_link, name="account_compromised_link"),
]
