"""What seeded tickets point at: severities (from the migrations), queues, people, memberships, roles, tags."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from .vocabulary import FIRST_NAMES, LAST_NAMES, TAGS

RANDOM_SEED = 20250601  # the same data on every machine
SPAN = timedelta(days=730)  # tickets are created over the last two years
EMAIL_DOMAIN = "seed.supportdesk.test"  # every seeded person; the bench agent lives elsewhere

# (name, slug, share of tickets); the default queue comes from migration 0002.
QUEUES = [
    ("Service desk", "service-desk", 12),
    ("Cloud platform", "cloud-platform", 18),
    ("Networking", "networking", 10),
    ("Security", "security", 10),
    ("Databases", "databases", 9),
    ("Identity and access", "identity-access", 8),
    ("Billing and cost", "billing-cost", 6),
    ("End-user IT", "end-user-it", 14),
    ("Data platform", "data-platform", 7),
    ("Observability", "observability", 6),
]
REQUESTERS, AGENTS = 300, 20
SEVERITY_SHARE = {"SEV1": 2, "SEV2": 8, "SEV3": 25, "SEV4": 45, "SEV5": 20}


@dataclass(frozen=True)
class Severity:
    id: int
    name: str
    response: float  # seconds
    resolution: float


@dataclass(frozen=True)
class Queue:
    id: int
    name: str
    share: int
    agents: tuple[int, ...]


@dataclass(frozen=True)
class Reference:
    """The rows tickets point at."""

    severities: list[Severity]
    queues: list[Queue]
    requesters: list[int]
    names: dict[int, str]  # display names, as timeline events show people
    tag_ids: list[int]


def reference_rows(conn: psycopg.Connection) -> Reference:
    """Queues, people, memberships, roles and tags: upserted, so reseeding keeps their ids."""
    severities = [
        Severity(id, name, response.total_seconds(), resolution.total_seconds())
        for id, name, response, resolution in conn.execute(
            "SELECT id, name, response_target, resolution_target FROM tickets_severity WHERE name = ANY(%s)",
            [list(SEVERITY_SHARE)],
        )
    ]
    if len(severities) != len(SEVERITY_SHARE):
        raise RuntimeError("SEV1..SEV5 are missing: the tickets migrations seed them; run migrate first.")
    severities.sort(key=lambda s: s.name)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO tickets_queue (name, slug, description, oncall_contact, is_default) "
            "VALUES (%s, %s, '', '', false) ON CONFLICT DO NOTHING",
            [(name, slug) for name, slug, _ in QUEUES],
        )
    queue_rows = conn.execute("SELECT slug, id, name FROM tickets_queue WHERE slug = ANY(%s)", [[q[1] for q in QUEUES]])
    queue_ids, queue_names = {}, {}
    for slug, id, name in queue_rows:
        queue_ids[slug], queue_names[slug] = id, name

    rng = random.Random(RANDOM_SEED)
    people = []  # (email, first, last, is_agent)
    for n in range(AGENTS):
        people.append((f"agent{n + 1:02d}@{EMAIL_DOMAIN}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), True))
    for n in range(REQUESTERS):
        people.append((f"user{n + 1:03d}@{EMAIL_DOMAIN}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), False))
    joined = datetime.now(UTC) - SPAN - timedelta(days=30)
    with conn.cursor() as cur:
        cur.executemany(  # "!" is an unusable password: seeded people cannot sign in
            "INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, is_active, "
            "date_joined, email, access_stamp, time_zone) "
            "VALUES ('!', false, %s, %s, false, true, %s, %s, gen_random_uuid(), '') "
            "ON CONFLICT (email) DO NOTHING",
            [(first, last, joined, email) for email, first, last, _ in people],
        )
    ids: dict[str, int] = dict(
        conn.execute("SELECT email, id FROM accounts_user WHERE email LIKE %s", [f"%@{EMAIL_DOMAIN}"])
    )
    names = {ids[email]: f"{first} {last}" for email, first, last, _ in people}
    agents = [ids[email] for email, *_, is_agent in people if is_agent]
    requesters = [ids[email] for email, *_, is_agent in people if not is_agent]

    groups: dict[str, int] = dict(conn.execute("SELECT name, id FROM auth_group"))
    if "agent" not in groups or "requester" not in groups:
        raise RuntimeError("The role groups are missing: accounts creates them after migrate.")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO accounts_user_groups (user_id, group_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(user, groups["agent"]) for user in agents] + [(user, groups["requester"]) for user in requesters],
        )
    # Each agent works two queues; each queue gets four agents.
    members: dict[int, list[int]] = {queue_ids[slug]: [] for _, slug, _ in QUEUES}
    slugs = [slug for _, slug, _ in QUEUES]
    for n, agent in enumerate(agents):
        for slug in (slugs[n % len(slugs)], slugs[(n + 3) % len(slugs)]):
            members[queue_ids[slug]].append(agent)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO tickets_queuemember (queue_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(queue, user) for queue, users in members.items() for user in users],
        )
        cur.executemany("INSERT INTO tickets_tag (name) VALUES (%s) ON CONFLICT DO NOTHING", [(t,) for t in TAGS])
    tag_ids = [row[0] for row in conn.execute("SELECT id FROM tickets_tag WHERE name = ANY(%s)", [TAGS])]
    queues = [
        Queue(queue_ids[slug], queue_names[slug], share, tuple(members[queue_ids[slug]])) for _, slug, share in QUEUES
    ]
    return Reference(severities, queues, requesters, names, tag_ids)
