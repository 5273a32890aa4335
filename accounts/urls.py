from django.urls import path

from . import views

urlpatterns = [
    path("", views.account_overview, name="account_overview"),
    path("tokens/", views.token_list, name="account_tokens"),
    path("tokens/<str:token_key>/revoke/", views.token_revoke, name="account_token_revoke"),
    path("members/", views.members, name="account_members"),
    path("members/mfa-required/", views.members_mfa_required, name="account_mfa_required"),
    path("members/<int:pk>/remove/", views.member_remove, name="account_member_remove"),
    path("members/<int:pk>/make-owner/", views.member_make_owner, name="account_member_make_owner"),
]
