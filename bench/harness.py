"""Requests into the Django app in this same process, through the WSGI handler and every
middleware, exactly as gunicorn calls it, minus the network."""

import gzip
import io
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from tests.factories import sign_in


@dataclass
class Response:
    status: int
    headers: list
    body: bytes
    seconds: float
    cookies: dict = field(default_factory=dict)

    @property
    def text(self):
        return self.body.decode()


class InProcess:
    """A tiny WSGI client with a cookie jar."""

    def __init__(self, cookies=None):
        self.app = WSGIHandler()
        self.cookies = dict(cookies or {})

    def get(self, url):
        return self.request("GET", url)

    def request(self, method, url, body=b"", content_type=""):
        parts = urlsplit(url)
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT_ENCODING": "gzip",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
        }
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = headers

        started = time.perf_counter()
        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        seconds = time.perf_counter() - started
        set_cookies = {}
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    set_cookies[key] = morsel.value
                    self.cookies[key] = morsel.value
        return Response(answer["status"], answer["headers"], content, seconds, set_cookies)


def session_cookies(user):
    """A signed-in session (and the second step for coordinators), made the way the tests
    make theirs: tests.factories.sign_in, which fires the same sign-in signal as the form."""
    client = sign_in(Client(), user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def gzip_size(data):
    """Bytes on the wire with gzip at level 6 (nginx's gzip_comp_level 6, Django's GZip)."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def linked_assets(html):
    """The stylesheets and scripts a page loads from its own site."""
    styles = re.findall(r'<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"', html)
    styles += re.findall(r'<link[^>]+href="([^"]+)"[^>]*rel="stylesheet"', html)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    return sorted(set(styles)), sorted(set(scripts))


def median(values):
    return statistics.median(values) if values else float("nan")


def percentile(values, share):
    """Nearest-rank percentile: the value below which `share` of the samples fall."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]
