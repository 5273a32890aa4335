"""Django's Redis cache backend, with one Redis client per connection pool instead of a new
one per operation. Django builds a ``redis.Redis`` for every get or set, and redis-py fills
each new client's table of response callbacks: that setup cost more than the round trip
itself on every cache read of the request path (session, terms gate, banners). A client is
thread-safe (it borrows a connection from its pool per command), so sharing it is safe. Keys
are not checked against memcached's limits either."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    # Django's own attributes (not in django-stubs).
    _client: Any
    _get_connection_pool: Any
    _get_connection_pool_index: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(DjangoRedisCache):
    _servers: Any
    _options: Any

    def make_and_validate_key(self, key: Any, version: int | None = None) -> str:
        """Django checks every key against memcached's limits (length, control characters)
        and warns: a cost on each key of each read, and no limit of Redis's."""
        return str(self.make_key(key, version=version))

    @cached_property
    def _cache(self) -> RedisCacheClient:
        return RedisCacheClient(self._servers, **self._options)
