"""Locust load test of the staff app (issue 23): officers with think time over a realistic mix of pages.

Run through ``benchmarks/web_load.py`` (``make bench-web``), which prepares the users, starts gunicorn in
production mode and reads the figures; by hand:

    LOAD_CONFIG=cfg.json locust -f benchmarks/load.py --headless -u 50 -r 5 -t 5m --host http://127.0.0.1:8000

``LOAD_CONFIG`` (JSON): ``users``: ``[username, password, units]``, one taken per simulated officer (round
robin), ``units`` the codes of that account's office with late debt (unit page, statement PDF);
``LOAD_WARMUP``: seconds after which the statistics restart (logins and cold caches left out);
``LOAD_THINK`` = ``MIN-MAX`` seconds between two requests of one officer (default ``3-10``; ``0``: none,
the closed-loop capacity run). The server is gunicorn with ``SICOLLECT_DEBUG=0`` behind no proxy, so
each request says ``X-Forwarded-Proto: https`` as nginx would, and the Secure cookies are sent back over
loopback HTTP.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, constant, events, task

CONFIG: dict[str, Any] = json.loads(open(os.environ["LOAD_CONFIG"], encoding="utf-8").read())  # noqa: SIM115
_ACCOUNTS = itertools.cycle(CONFIG["users"])
_THINK = os.environ.get("LOAD_THINK", "3-10")


@events.init.add_listener
def _warm_up(environment: Any, runner: Any = None, **_: Any) -> None:
    """``LOAD_WARMUP`` seconds after the start the statistics are reset: the logins (once a day for an
    officer, ~0.3 s of password hashing each, all at once here) and the cold caches are not in the figures."""
    seconds = float(os.environ.get("LOAD_WARMUP", "0") or 0)
    if seconds > 0 and runner is not None:
        import gevent

        gevent.spawn_later(seconds, runner.stats.reset_all)


def _wait() -> Any:
    if _THINK in ("0", ""):
        return constant(0)
    low, high = (float(x) for x in _THINK.split("-"))
    return between(low, high)


class Officer(HttpUser):
    wait_time = _wait()

    def on_start(self) -> None:
        self.username, password, self.units = next(_ACCOUNTS)
        origin = self.host.replace("http://", "https://")
        self.client.headers.update({"X-Forwarded-Proto": "https", "Origin": origin, "Referer": f"{origin}/login/"})
        page = self.client.get("/login/", name="login page")
        self._unsecure()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        with self.client.post("/login/", data={"username": self.username, "password": password,
                                               "csrfmiddlewaretoken": token.group(1) if token else ""},
                              allow_redirects=False, name="login", catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"login of {self.username}: HTTP {r.status_code}")
        self._unsecure()

    def _unsecure(self) -> None:
        for cookie in self.client.cookies:
            cookie.secure = False

    def _unit(self) -> str:
        return random.choice(self.units)

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(4)
    def worklist(self) -> None:
        self.client.get("/worklist/", name="worklist")

    @task(6)
    def unit_page(self) -> None:
        self.client.get(f"/units/{self._unit()}/", name="unit page")

    @task(2)
    def unit_search(self) -> None:
        self.client.get(f"/units/?q={self._unit()[:4]}", name="unit search")

    @task(1)
    def statement_pdf(self) -> None:
        with self.client.get(f"/units/{self._unit()}/statement.pdf", name="statement PDF", catch_response=True) as r:
            if r.status_code == 200 and not r.content.startswith(b"%PDF"):
                r.failure("not a PDF")

    @task(3)
    def arrears(self) -> None:
        self.client.get("/arrears/", name="arrears cases")

    @task(2)
    def plans(self) -> None:
        self.client.get("/plans/", name="plan progress")
