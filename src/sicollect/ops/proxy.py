"""The client's address behind nginx, for django-axes' lockouts (``AXES_CLIENT_IP_CALLABLE``).

Behind the proxy every request comes from 127.0.0.1; nginx appends the real client to
``X-Forwarded-For`` (``$proxy_add_x_forwarded_for``, deploy/nginx/sicollect.conf). Only when the request
comes from a trusted proxy (``SICOLLECT_TRUSTED_PROXIES``, default the loopback addresses) is the last
address of that header taken: a client cannot choose its address by sending the header itself, since
nginx adds the one it sees after whatever the client sent.
"""
from __future__ import annotations

import os
from typing import Any

TRUSTED = {a.strip() for a in os.environ.get("SICOLLECT_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if a.strip()}


def client_ip(request: Any) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote in TRUSTED and forwarded:
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return remote
