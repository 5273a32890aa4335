from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # An operator can close self-service sign-up (SIGNUP_OPEN=false); invitations still work.
        return bool(settings.SIGNUP_OPEN)
