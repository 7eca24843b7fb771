"""Django's Redis cache, with one ``redis.Redis`` client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
call (redis-py issue #3624): cheap to read, but a signed API request makes several
cache calls, and building the client (its retry policy, its response callbacks) cost
about 1 ms of CPU per request on this project's bench machine. A client holds no
connection of its own, only the pool it borrows from, so one per pool is safe to
share across calls and threads, exactly as a hand-written redis-py program does.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def script(self, lua: str):
        """``run(keys, args)``: ``lua`` run in Redis in one round trip (EVALSHA, EVAL
        once when Redis has not seen it), on cache keys named as the cache names them."""
        client = self._cache.get_client(write=True)
        compiled = client.register_script(lua)

        def run(keys, args):
            return compiled(
                keys=[self.make_and_validate_key(k) if k else "" for k in keys], args=args
            )

        return run
