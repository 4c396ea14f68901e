"""What `make bench` loads, how each request authenticates, and the target for each page.

Targets are shares of the authenticated ceiling (`session-user`) measured in the same run, so they
hold on any machine: a page at 15% does about a seventh of the work-per-request budget of the
cheapest signed-in Django request.
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
CEILING = "session-user"

# One body for the in-process profile and for wrk (which puts a unique number where {n} is).
CREATE_BODY = json.dumps(
    {"title": "Bench ticket {n}", "severity": "SEV4", "description": "Filed by make bench to time ticket creation."}
)


class Auth(StrEnum):
    NONE = "none"
    PORTAL_SESSION = "portal-session"  # the portal's session cookie (Redis when CACHE_URL is Redis)
    BENCH_SESSION = "bench-session"  # the benchsid cookie: a session row in django_session
    TOKEN = "token"  # Authorization: Token ...


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    path: str  # "{queue}" becomes one of the bench agent's queues; "{ticket}" a ticket it may see
    auth: Auth
    method: str = "GET"
    floor: float | None = None  # % of the ceiling's requests/s
    aim: float | None = None

    @property
    def yardstick(self) -> bool:
        return self.floor is None

    @property
    def script(self) -> Path:
        if self.method == "POST":
            return WRK_SCRIPTS / "post_json.lua"
        if "{ticket}" in self.path:
            return WRK_SCRIPTS / "random_path.lua"
        return WRK_SCRIPTS / "report.lua"


PAGES = [
    Page("constant", "Constant response (yardstick)", "/_bench/constant/", Auth.NONE),
    Page(CEILING, "DB session + user (ceiling)", "/_bench/session-user/", Auth.BENCH_SESSION),
    Page("ticket-list", "Ticket list", "/tickets/", Auth.PORTAL_SESSION, floor=10, aim=15),
    Page(
        "ticket-list-filtered",
        "Ticket list, filtered",
        "/tickets/?status=open&severity=SEV2&queue={queue}",
        Auth.PORTAL_SESSION,
        floor=10,
        aim=15,
    ),
    Page("ticket-page", "Ticket page", "/tickets/{ticket}/", Auth.PORTAL_SESSION, floor=18, aim=25),
    Page("api-list", "API: list tickets", "/api/tickets/", Auth.TOKEN, floor=15, aim=20),
    Page("api-create", "API: create a ticket", "/api/tickets/", Auth.TOKEN, method="POST", floor=12, aim=15),
]
PAGE_NAMES = [page.name for page in PAGES]


def pages_selected(only: list[str] | None) -> list[Page]:
    """The pages asked for, plus the yardsticks: every share needs the ceiling from the same run."""
    if not only:
        return PAGES
    unknown = set(only) - set(PAGE_NAMES)
    if unknown:
        raise SystemExit(f"Unknown page(s): {', '.join(sorted(unknown))}. Pages: {', '.join(PAGE_NAMES)}.")
    return [page for page in PAGES if page.yardstick or page.name in only]
