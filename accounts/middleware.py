from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .selectors import membership_get
from .services import customer_touch_activity


class MembershipMiddleware:
    """Puts the signed-in user's membership (or None) on ``request.membership`` and notes
    the customer's activity (Art. 12(1)(5) counts months without use)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: membership_get(user=request.user)
        )
        response = self.get_response(request)
        # Measured after the view so API token authentication (done in the view) counts too.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_staff:
            customer_touch_activity(user=user)
        return response
