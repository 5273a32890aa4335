"""The API's rate limits (settings.REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES): DRF's user and
anonymous rates, counted per fixed window with one round trip to Redis (SET NX with the
window's expiry, then INCR, in one pipeline) instead of DRF's read and rewrite of the whole
request history (two round trips on every API call). A fixed window lets a client send up to
twice the rate across a window's edge; the limits are far above what an integration needs
and are there against floods, where that makes no difference. With another cache backend
(local development without Redis) DRF's own counting applies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .cache import RedisCache

if TYPE_CHECKING:
    # Not at run time: DRF's APIView reads the throttle classes (this module) as it is built.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class _FixedWindow(SimpleRateThrottle):
    # Set by SimpleRateThrottle from the rate (not in the type stubs).
    num_requests: int
    duration: int
    window_end: float = 0.0

    def allow_request(self, request: Request, view: APIView) -> bool:
        cache: Any = caches["default"]
        if not isinstance(cache, RedisCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = cache.make_and_validate_key(f"{self.key}:{window}")
        pipe = cache._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=self.duration + 1, nx=True)
        pipe.incr(key)
        _created, count = pipe.execute()
        return int(count) <= self.num_requests

    def wait(self) -> float | None:
        if not self.window_end:
            return super().wait()
        return max(0.0, self.window_end - self.timer())


class UserThrottle(_FixedWindow, UserRateThrottle):
    """DRF's per-user rate (``DEFAULT_THROTTLE_RATES["user"]``), in fixed windows."""


class AnonThrottle(_FixedWindow, AnonRateThrottle):
    """DRF's per-address rate for anonymous callers (``["anon"]``), in fixed windows."""
