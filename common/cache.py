"""Django's Redis cache, with one Redis client per connection pool instead of a new one per operation.

Django builds a `redis.Redis` object for every cache call; with redis-py 8 that costs more than the GET it
sends (each request of a signed-in user reads its session from the cache: docs/benchmarks.md). The client
is a thin, thread-safe handle on the pool, so keeping it changes nothing else.
"""
from django.core.cache.backends import redis


class ReusedClientRedisCacheClient(redis.RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
