"""Locust traffic for scripts/load_test.py (not run on its own: load_test.py sets the env).

Every simulated user logs in through the real login form (CSRF token from the page, the
csrftoken cookie, the POST), then browses and acts like a person would:

- mentees: dashboard, mentor directory and a profile, a booking page (GET) and now and then
  a booking (POST of a free time offered on that page);
- admins: the sessions list (all, and pending only) and a "Confirm & Send Link" POST on a
  pending session taken from the list.

The measured window: logging in costs a password hash (hundreds of ms of CPU each), and 50
users logging in at once would dominate the figures. So the users log in first; once the
last one is in, the login phase's figures are written to LOAD_LOGIN_SUMMARY (JSON), the
statistics are reset, and every user browses for exactly LOAD_SECONDS, after which locust
stops: the CSV statistics cover 50 logged-in users for LOAD_SECONDS.

Environment: LOAD_USERS, LOAD_SECONDS, LOAD_LOGIN_SUMMARY, LOAD_PASSWORD (every seeded
account's), LOAD_MENTOR_IDS (mentors with weekly hours, comma-separated), LOAD_MENTEES /
LOAD_ADMINS (login emails, comma-separated).
"""

import itertools
import json
import os
import random
import re
from http.cookiejar import DefaultCookiePolicy

import gevent
from gevent.event import Event
from locust import HttpUser, between, task

PASSWORD = os.environ["LOAD_PASSWORD"]
MENTOR_IDS = [int(x) for x in os.environ["LOAD_MENTOR_IDS"].split(",")]
MENTEES = itertools.cycle(os.environ["LOAD_MENTEES"].split(","))
ADMINS = itertools.cycle(os.environ["LOAD_ADMINS"].split(","))
USERS = int(os.environ["LOAD_USERS"])
SECONDS = int(os.environ["LOAD_SECONDS"])
LOGIN_SUMMARY = os.environ["LOAD_LOGIN_SUMMARY"]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FREE_TIME = re.compile(r'name="start" value="([^"]+)"')
# Each pending row's "Confirm with Link" opens the page's one confirm dialog for its session.
CONFIRMABLE = re.compile(r'data-open-dialog="confirm-(\d+)"')
SLOT_TAKEN = "no longer available"
# The mentee already has a session at that time (with another mentor): refused as promised.
MENTEE_BUSY = "You already have a session"


# Production settings mark the session and CSRF cookies Secure; this run speaks plain http
# to gunicorn on 127.0.0.1 (as a TLS-terminating proxy would), so this client must send
# Secure cookies back over http. requests copies the session's cookies into a fresh jar with
# the default policy for every request, so a per-jar policy is lost: the default policy of
# this load-client process is relaxed instead. The server side is unchanged.
DefaultCookiePolicy.return_ok_secure = lambda self, cookie, request: True


_logged_in = 0
_everyone_in = Event()


def _arrived(environment) -> None:
    """Called once per user after its login (locust users are greenlets: no lock needed)."""
    global _logged_in
    _logged_in += 1
    if _logged_in < USERS:
        return
    total = environment.stats.total
    with open(LOGIN_SUMMARY, "w") as handle:
        json.dump(
            {
                "requests": total.num_requests,
                "errors": total.num_failures,
                "p50": total.get_response_time_percentile(0.5),
                "p95": total.get_response_time_percentile(0.95),
                "max": total.max_response_time,
                "seconds": round(total.last_request_timestamp - total.start_time, 1),
            },
            handle,
        )
    environment.stats.reset_all()
    _everyone_in.set()
    gevent.spawn_later(SECONDS, environment.runner.quit)


class _Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def _csrf(self, html: str) -> str:
        match = CSRF_INPUT.search(html)
        return match.group(1) if match else self.client.cookies.get("csrftoken", "")

    def _login(self, email: str) -> None:
        page = self.client.get("/accounts/login/", name="login (GET)")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self._csrf(page.text),
            },
            name="login (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {email} refused: {response.status_code}")
        _arrived(self.environment)
        _everyone_in.wait()


class Mentee(_Person):
    weight = 4

    def on_start(self):
        self._login(next(MENTEES))

    @task(4)
    def dashboard(self):
        self.client.get("/dashboard/", name="mentee dashboard")

    @task(3)
    def directory(self):
        self.client.get("/mentors/", name="mentor directory")

    @task(3)
    def profile(self):
        self.client.get(f"/mentors/{random.choice(MENTOR_IDS)}/", name="mentor profile")

    @task(3)
    def booking_page(self):
        self.client.get(f"/mentors/{random.choice(MENTOR_IDS)}/book/", name="booking page")

    @task(1)
    def book(self):
        mentor = random.choice(MENTOR_IDS)
        page = self.client.get(f"/mentors/{mentor}/book/", name="booking page")
        times = FREE_TIME.findall(page.text)
        if not times:
            return
        with self.client.post(
            f"/mentors/{mentor}/book/",
            data={
                "start": random.choice(times),
                "duration_minutes": "30",
                "notes": "Load test booking.",
                "csrfmiddlewaretoken": self._csrf(page.text),
            },
            name="booking (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
            elif response.status_code == 400 and SLOT_TAKEN in response.text:
                # Another user took that time a moment earlier: the refusal the product
                # promises (not an error), counted under its own name.
                response.request_meta["name"] = "booking (POST, slot taken: refused)"
                response.success()
            elif response.status_code == 400 and MENTEE_BUSY in response.text:
                response.request_meta["name"] = "booking (POST, mentee busy: refused)"
                response.success()
            elif response.status_code == 409:
                # The mentee has as many requests waiting for confirmation as one may.
                response.request_meta["name"] = "booking (POST, requests at the cap: refused)"
                response.success()
            elif response.status_code == 429:
                # The account tried to book too often lately (docs/PRODUCT.md §7.2).
                response.request_meta["name"] = "booking (POST, too many attempts: refused)"
                response.success()
            else:
                response.failure(f"booking answered {response.status_code}")


class Admin(_Person):
    weight = 1

    def on_start(self):
        self._login(next(ADMINS))

    @task(3)
    def sessions_list(self):
        self.client.get("/admin/sessions/", name="admin sessions list")

    @task(2)
    def confirm(self):
        page = self.client.get("/admin/sessions/?status=pending", name="admin sessions (pending)")
        ids = CONFIRMABLE.findall(page.text)
        if not ids:
            return
        with self.client.post(
            f"/admin/sessions/{random.choice(ids)}/set-status/?status=pending",
            data={
                "action": "confirmed",
                "meeting_link": "https://meet.google.com/abc-defg-hij",
                "csrfmiddlewaretoken": self._csrf(page.text),
            },
            name="admin confirm (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # 302 back to the list, with a message: confirmed, or "already confirmed" when
            # another admin took the same session a moment earlier.
            if response.status_code != 302:
                response.failure(f"confirm answered {response.status_code}")
