from django.urls import path

from . import views

urlpatterns = [
    path("", views.account_overview, name="account_overview"),
    path("tokens/", views.token_list, name="account_tokens"),
    path("tokens/<str:token_key>/revoke/", views.token_revoke, name="account_token_revoke"),
]
