"""``manage.py runserver`` passes the request target as the client sent it (RAW_URI).

A signature covers the path exactly as sent (``/api/v1/%6Frders``). gunicorn passes the
request line's target through as RAW_URI; Django's dev server (``make run``) hands
Django only wsgiref's percent-decoded PATH_INFO, so such a request was verified over
``/api/v1/orders`` and failed its signature. This handler adds RAW_URI, as gunicorn
does, and ``api.auth.request_path`` reads it on either server.

Django's ``run()`` (behind both its own and staticfiles' ``runserver``) builds its
server with the module's ``WSGIRequestHandler``: replacing that name is the one hook
that needs no second ``runserver`` command (which would have to come before
django.contrib.staticfiles in INSTALLED_APPS to be found). Production never runs this
server; the replacement only adds an environ key.
"""

from django.core.servers import basehttp


class RequestTargetHandler(basehttp.WSGIRequestHandler):
    def get_environ(self):
        environ = super().get_environ()
        # The request line's target, untouched: path and query as the client sent them.
        environ["RAW_URI"] = self.path
        return environ


def pass_the_request_target() -> None:
    if not issubclass(basehttp.WSGIRequestHandler, RequestTargetHandler):
        basehttp.WSGIRequestHandler = RequestTargetHandler
