"""Every role against every URL of the project: the security review's check, kept in the suite.

The walk covers the whole resolver (pages, /api/, allauth, the admin, push endpoints). A pattern the ACCESS table
below does not mention fails the test, so a new page cannot ship without someone deciding who may open it.
The admin is sampled: its site-wide pages are in the table, and each registered model's changelist and add page
are asked of every role (only admins reach them).

A cell says what a GET (or the probe's method) answers for that role:
  OK       200
  LOGIN    anonymous: a page sends them to sign in; the API answers 401 or 403
  ADMIN    the admin sends them to its own sign-in (not staff)
  HIDDEN   404: an object outside the role's view does not exist for them
  REFUSED  403: the role may see the object, or the page exists, but may not do this
  NOT_GET  405: the endpoint only takes a POST (its refusals are probed with a POST where an object is involved)
  "/path"  a redirect to that path (a prefix)
  SKIP     not asked of this role (a POST that would change what the later probes see)
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.roles import Role
from integrations.models import AwsAccount, MaintenanceWindow, SupportCase
from readiness import services as readiness_services
from readiness.models import ReviewTemplate, Workload
from tickets import services
from tickets.models import Ticket

from .factories import QueueFactory, TicketFactory, UserFactory
from .tickets.helpers import upload

ROLES = ("anonymous", "requester", "agent", "manager", "admin")
OK, REFUSED, HIDDEN, NOT_GET = 200, 403, 404, 405
LOGIN, ADMIN, SKIP = "login", "admin-login", None
SIGN_IN, ADMIN_SIGN_IN = "/accounts/login/?next=", "/admin/login/?next="
MAX_QUERIES = 25  # per request (the most seen is 10); pages that list rows have constant-query tests of their own

# The ones anonymous may open: signing in, and SNS and Slack (which sign theirs). The health endpoints are not URL
# patterns: a middleware answers them before the resolver (supportdesk/health.py, tests/test_health.py).
PUBLIC = {
    "metrics",  # Prometheus: METRICS_TOKEN or METRICS_ALLOWED_NETWORKS is the key, never a session
    "aws/sns/",
    "oncall/feeds/<str:token>.ics",  # iCal for calendar apps: the secret in the address is the key
    "slack/interactivity/",
    "slack/commands/",
    "accounts/login/",
    "accounts/signup/",
    "accounts/inactive/",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/done/",
    r"accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
    r"accounts/^confirm-email/(?P<key>[-:\w]+)/$",
    "accounts/confirm-email/",
    "accounts/login/code/confirm/",
    "accounts/2fa/authenticate/",
    "accounts/3rdparty/login/cancelled/",
    "accounts/3rdparty/login/error/",
    "accounts/3rdparty/signup/",
    "accounts/social/login/cancelled/",  # allauth's old addresses: redirects to the new ones
    "accounts/social/login/error/",
    "accounts/social/signup/",
    "accounts/social/connections/",
    "accounts/logout/",  # sends anonymous home
    "admin/logout/",  # sends whoever is not signed into the admin to its index
    r"accounts/oidc/^(?P<provider_id>[^/]+)/login/",
    r"accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/",
    # SAML: the IdP's signed answer is the credential; the SP metadata is for the IdP's admin
    "accounts/saml/<str:organization_slug>/acs/finish/",
    r"accounts/^saml/(?P<organization_slug>[^/]+)/acs/",
    r"accounts/^saml/(?P<organization_slug>[^/]+)/acs/finish/",
    r"accounts/^saml/(?P<organization_slug>[^/]+)/sls/",
    r"accounts/^saml/(?P<organization_slug>[^/]+)/metadata/",
    r"accounts/^saml/(?P<organization_slug>[^/]+)/login/",
    "p/<str:reference>/<str:token>",  # one-tap acknowledge: the signed token is the credential
    # SCIM: the IdP's bearer token is the key, never a session (tests/directory/test_scim.py)
    "scim/v2/Users",
    "scim/v2/Users/<str:pk>",
    "scim/v2/Groups",
    "scim/v2/Groups/<str:pk>",
    "scim/v2/ServiceProviderConfig",
    "scim/v2/ResourceTypes",
    "scim/v2/Schemas",
}

EVERYONE = (OK, OK, OK, OK, OK)
SIGNED_IN = (LOGIN, OK, OK, OK, OK)
STAFF = (LOGIN, HIDDEN, OK, OK, OK)  # agents, managers and admins; requesters never learn the page exists
SUPPORT = (LOGIN, REFUSED, OK, OK, OK)  # agents, managers and admins
DASHBOARDS = (LOGIN, REFUSED, REFUSED, OK, OK)
POST_ONLY = (LOGIN, NOT_GET, NOT_GET, NOT_GET, NOT_GET)
ADMIN_ONLY = (ADMIN, ADMIN, ADMIN, ADMIN, OK)
NO_AUTHENTICATOR = (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)  # nobody in the landscape has set up MFA

# {pattern as the resolver spells it: {probe: outcomes by role}}. A probe is a path with names from the landscape
# in braces, optionally preceded by "POST ". "mine" is a ticket the requester filed in the agent's queue; "other" is
# one in a queue the agent does not work, filed by someone else; "review"/"other_review" likewise.
ACCESS: dict[str, dict[str, tuple]] = {
    "metrics": {"/metrics": (HIDDEN,) * 5},  # neither set here: a 404 for everyone, admins too (tests/observability)
    # Tickets
    "": {"/": SIGNED_IN},
    "tickets/": {"/tickets/": SIGNED_IN},
    "tickets/export.csv": {"/tickets/export.csv": SIGNED_IN},
    "tickets/new/": {"/tickets/new/": SIGNED_IN},
    "tickets/bulk/": {"/tickets/bulk/": POST_ONLY, "POST /tickets/bulk/": (LOGIN, REFUSED, SKIP, SKIP, SKIP)},
    "tickets/bulk/people/": {"/tickets/bulk/people/": SUPPORT},
    "tickets/views/": {"/tickets/views/": SIGNED_IN},
    "tickets/views/<int:view_id>/": {
        "/tickets/views/999999/": POST_ONLY,
        "POST /tickets/views/999999/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # someone else's is no different
    },
    "tickets/views/<int:view_id>/delete/": {
        "/tickets/views/999999/delete/": POST_ONLY,
        "POST /tickets/views/999999/delete/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    },
    "tickets/replies/": {"/tickets/replies/": SUPPORT},
    "tickets/replies/<int:reply_id>/": {"/tickets/replies/999999/": (LOGIN, REFUSED, HIDDEN, HIDDEN, HIDDEN)},
    "tickets/replies/<int:reply_id>/delete/": {"/tickets/replies/999999/delete/": POST_ONLY},
    "tickets/<str:reference>/": {
        "/tickets/{mine}/": SIGNED_IN,
        "/tickets/{other}/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
        "/tickets/NOPE-1/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    },
    "tickets/<str:reference>/comment/": {
        "/tickets/{mine}/comment/": POST_ONLY,
        "POST /tickets/{other}/comment/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "tickets/<str:reference>/transition/": {
        "/tickets/{mine}/transition/": POST_ONLY,
        "POST /tickets/{other}/transition/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "tickets/<str:reference>/edit/": {
        "/tickets/{mine}/edit/": (LOGIN, OK, OK, "/tickets/{mine}/", OK),
        "/tickets/{other}/edit/": (LOGIN, HIDDEN, HIDDEN, "/tickets/{other}/", OK),
    },
    "tickets/<str:reference>/assign/": {
        "/tickets/{mine}/assign/": (LOGIN, "/tickets/{mine}/", OK, "/tickets/{mine}/", OK),
        "/tickets/{other}/assign/": (LOGIN, HIDDEN, HIDDEN, "/tickets/{other}/", OK),
    },
    "tickets/<str:reference>/take/": {
        "/tickets/{mine}/take/": POST_ONLY,
        "POST /tickets/{other}/take/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "tickets/<str:reference>/escalate/": {
        "/tickets/{mine}/escalate/": (LOGIN, "/tickets/{mine}/", OK, "/tickets/{mine}/", OK),
        "/tickets/{other}/escalate/": (LOGIN, HIDDEN, HIDDEN, "/tickets/{other}/", OK),
    },
    "tickets/<str:reference>/watch/": {
        "/tickets/{mine}/watch/": POST_ONLY,
        "POST /tickets/{other}/watch/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "tickets/<str:reference>/inline/<str:field>/": {
        # without htmx, those who may change the ticket are sent to its page
        "/tickets/{mine}/inline/severity/": (LOGIN, REFUSED, "/tickets/{mine}/", REFUSED, "/tickets/{mine}/"),
        "/tickets/{other}/inline/severity/": (LOGIN, HIDDEN, HIDDEN, REFUSED, "/tickets/{other}/"),
        "/tickets/{mine}/inline/title/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    },
    "tickets/<str:reference>/replies/": {
        "/tickets/{mine}/replies/": SIGNED_IN,
        "/tickets/{other}/replies/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    "tickets/<str:reference>/replies/<int:reply_id>/": {
        "/tickets/{mine}/replies/999999/": (LOGIN, REFUSED, HIDDEN, HIDDEN, HIDDEN),
        "/tickets/{other}/replies/999999/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    },
    "tickets/<str:reference>/files/<int:attachment_id>/": {
        "/tickets/{mine}/files/{mine_file}/": SIGNED_IN,
        "/tickets/{other}/files/{other_file}/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
        "/tickets/{mine}/files/{other_file}/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # not this ticket's
    },
    "profile/": {"/profile/": SIGNED_IN},
    "profile/time-zone/": {"/profile/time-zone/": POST_ONLY},
    "oncall/": {"/oncall/": SUPPORT},
    "oncall/mine/": {"/oncall/mine/": SUPPORT},
    "oncall/mine/feed/": {"/oncall/mine/feed/": POST_ONLY},
    "oncall/feeds/<str:token>.ics": {"/oncall/feeds/not-a-token.ics": (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)},
    "oncall/swaps/<int:swap_id>/<str:decision>/": {"/oncall/swaps/999999/accept/": POST_ONLY},
    "oncall/<slug:slug>/": {"/oncall/no-such-queue/": (LOGIN, REFUSED, HIDDEN, HIDDEN, HIDDEN)},
    "oncall/<slug:slug>/overrides/": {"/oncall/no-such-queue/overrides/": POST_ONLY},
    "oncall/<slug:slug>/overrides/<int:override_id>/delete/": {"/oncall/no-such-queue/overrides/1/delete/": POST_ONLY},
    "oncall/<slug:slug>/swaps/": {"/oncall/no-such-queue/swaps/": POST_ONLY},
    "oncall/<slug:slug>/feed/": {"/oncall/no-such-queue/feed/": POST_ONLY},
    "oncall/<slug:slug>/layers/new/": {"/oncall/no-such-queue/layers/new/": (LOGIN, REFUSED, REFUSED, HIDDEN, HIDDEN)},
    "oncall/<slug:slug>/layers/<int:layer_id>/": {
        "/oncall/no-such-queue/layers/1/": (LOGIN, REFUSED, REFUSED, HIDDEN, HIDDEN)
    },
    "oncall/<slug:slug>/layers/<int:layer_id>/delete/": {"/oncall/no-such-queue/layers/1/delete/": POST_ONLY},
    # Paging: one's own numbers and rules (POSTs answer with one's own settings only), managers' team defaults
    "paging/": {"/paging/": SUPPORT},
    "paging/numbers/": {"/paging/numbers/": POST_ONLY},
    "paging/numbers/<str:medium>/verify/": {"/paging/numbers/sms/verify/": POST_ONLY},
    "paging/numbers/<str:medium>/resend/": {"/paging/numbers/sms/resend/": POST_ONLY},
    "paging/numbers/<str:medium>/delete/": {"/paging/numbers/sms/delete/": POST_ONLY},
    "paging/slack/": {"/paging/slack/": POST_ONLY},
    "paging/rules/": {"/paging/rules/": POST_ONLY},
    "paging/rules/<int:pk>/delete/": {"/paging/rules/1/delete/": POST_ONLY},
    "paging/rules/reset/<str:band>/": {"/paging/rules/reset/urgent/": POST_ONLY},
    "paging/teams/<slug:slug>/": {
        "/paging/teams/{queue_slug}/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
        "/paging/teams/nope/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    },
    "p/<str:reference>/<str:token>": {"/p/{mine}/1.AAAAAAAAAAAAAAAA": (400, 400, 400, 400, 400)},  # not a link
    # AWS
    "aws/accounts/": {"/aws/accounts/": SUPPORT},
    "aws/accounts/<int:account_id>/": {
        "/aws/accounts/{account}/": SUPPORT,
        "/aws/accounts/999999/": (LOGIN, REFUSED, HIDDEN, HIDDEN, HIDDEN),
    },
    "aws/accounts/<int:account_id>/check/": {
        "/aws/accounts/{account}/check/": (LOGIN, REFUSED, REFUSED, REFUSED, NOT_GET),
    },
    "aws/tickets/<str:reference>/": {
        "/aws/tickets/{mine}/": SIGNED_IN,
        "/aws/tickets/{other}/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    "aws/tickets/<str:reference>/case/": {
        "/aws/tickets/{mine}/case/": (LOGIN, HIDDEN, OK, REFUSED, OK),
        "/aws/tickets/{other}/case/": (LOGIN, HIDDEN, HIDDEN, REFUSED, OK),
    },
    "aws/tickets/<str:reference>/accept-risk/": {"/aws/tickets/{mine}/accept-risk/": POST_ONLY},
    "aws/sns/": {"/aws/sns/": (NOT_GET, NOT_GET, NOT_GET, NOT_GET, NOT_GET)},
    "slack/interactivity/": {"/slack/interactivity/": (NOT_GET, NOT_GET, NOT_GET, NOT_GET, NOT_GET)},
    "slack/commands/": {"/slack/commands/": (NOT_GET, NOT_GET, NOT_GET, NOT_GET, NOT_GET)},
    "scim/v2/Users": {"/scim/v2/Users": (401,) * 5},  # a session is not a SCIM token, an admin's neither
    "scim/v2/Users/<str:pk>": {"/scim/v2/Users/1": (401,) * 5},
    "scim/v2/Groups": {"/scim/v2/Groups": (401,) * 5},
    "scim/v2/Groups/<str:pk>": {"/scim/v2/Groups/1": (401,) * 5},
    "scim/v2/ServiceProviderConfig": {"/scim/v2/ServiceProviderConfig": (401,) * 5},
    "scim/v2/ResourceTypes": {"/scim/v2/ResourceTypes": (401,) * 5},
    "scim/v2/Schemas": {"/scim/v2/Schemas": (401,) * 5},
    "maintenance/": {"/maintenance/": SUPPORT},
    "maintenance/upcoming/": {"/maintenance/upcoming/": DASHBOARDS},
    "maintenance/new/": {"/maintenance/new/": DASHBOARDS},
    "maintenance/<int:window_id>/edit/": {
        "/maintenance/{window}/edit/": DASHBOARDS,
        "/maintenance/999999/edit/": (LOGIN, REFUSED, REFUSED, HIDDEN, HIDDEN),
    },
    "maintenance/<int:window_id>/delete/": {
        "/maintenance/{window}/delete/": (LOGIN, REFUSED, REFUSED, NOT_GET, NOT_GET),
    },
    # Readiness reviews
    "reviews/": {"/reviews/": STAFF},
    "reviews/new/": {"/reviews/new/": (LOGIN, HIDDEN, REFUSED, OK, OK)},
    "reviews/<int:review_id>/": {
        "/reviews/{review}/": STAFF,
        "/reviews/{other_review}/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    "reviews/<int:review_id>/summary/": {
        "/reviews/{review}/summary/": STAFF,
        "/reviews/{other_review}/summary/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    "reviews/<int:review_id>/answers/<int:answer_id>/": {
        "/reviews/{review}/answers/{answer}/": POST_ONLY,
        "POST /reviews/{other_review}/answers/{other_answer}/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
        "POST /reviews/{review}/answers/{other_answer}/": (LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # not its answer
    },
    "reviews/<int:review_id>/actions/": {
        "/reviews/{review}/actions/": POST_ONLY,
        "POST /reviews/{other_review}/actions/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "reviews/<int:review_id>/submit/": {
        "/reviews/{review}/submit/": POST_ONLY,
        "POST /reviews/{other_review}/submit/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "reviews/<int:review_id>/take/": {
        "/reviews/{review}/take/": POST_ONLY,
        "POST /reviews/{other_review}/take/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    "readiness/panel/": {"/readiness/panel/": (LOGIN, HIDDEN, HIDDEN, OK, OK)},
    # KPIs
    "dashboard/": {"/dashboard/": DASHBOARDS},
    "dashboard/panel/headline/": {"/dashboard/panel/headline/": DASHBOARDS},
    "dashboard/panel/accounts/": {"/dashboard/panel/accounts/": DASHBOARDS},
    "dashboard/chart/<slug:key>/": {
        "/dashboard/chart/flow/": DASHBOARDS,
        "/dashboard/chart/nope/": (LOGIN, REFUSED, REFUSED, HIDDEN, HIDDEN),
    },
    "dashboard/chart/<slug:key>.csv": {"/dashboard/chart/flow.csv": DASHBOARDS},
    "dashboard/tickets/": {"/dashboard/tickets/?set=open": DASHBOARDS},
    "trends/": {"/trends/": DASHBOARDS},
    "trends/<slug:slug>.csv": {
        "/trends/categories.csv": DASHBOARDS,
        "/trends/nope.csv": (LOGIN, REFUSED, REFUSED, HIDDEN, HIDDEN),
    },
    "finance/": {"/finance/": DASHBOARDS},
    "finance/<slug:slug>.csv": {
        "/finance/accounts.csv": DASHBOARDS,
        "/finance/nope.csv": (LOGIN, REFUSED, REFUSED, HIDDEN, HIDDEN),
    },
    # API
    "api/schema/": {"/api/schema/": SIGNED_IN},
    "api/docs/": {"/api/docs/": SIGNED_IN},
    "api/oncall/": {"/api/oncall/": SUPPORT},
    r"api/^tickets/$": {"/api/tickets/": SIGNED_IN},
    r"api/^tickets/(?P<reference>[A-Za-z]+-\d+)/$": {
        "/api/tickets/{mine}/": SIGNED_IN,
        "/api/tickets/{other}/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    r"api/^tickets/(?P<reference>[A-Za-z]+-\d+)/assign/$": {
        "/api/tickets/{mine}/assign/": POST_ONLY,
        "POST /api/tickets/{other}/assign/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    r"api/^tickets/(?P<reference>[A-Za-z]+-\d+)/comments/$": {
        "/api/tickets/{mine}/comments/": SIGNED_IN,
        "/api/tickets/{other}/comments/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    r"api/^tickets/(?P<reference>[A-Za-z]+-\d+)/escalate/$": {
        "/api/tickets/{mine}/escalate/": POST_ONLY,
        "POST /api/tickets/{other}/escalate/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    r"api/^tickets/(?P<reference>[A-Za-z]+-\d+)/timeline/$": {
        "/api/tickets/{mine}/timeline/": SIGNED_IN,
        "/api/tickets/{other}/timeline/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    r"api/^tickets/(?P<reference>[A-Za-z]+-\d+)/(?P<transition>acknowledge|start|wait_on_requester|wait_on_aws|resolve|close|reopen)/$": {  # noqa: E501
        "/api/tickets/{mine}/acknowledge/": POST_ONLY,
        "POST /api/tickets/{other}/close/": (LOGIN, HIDDEN, HIDDEN, SKIP, SKIP),
    },
    r"api/^severities/$": {"/api/severities/": SIGNED_IN},
    r"api/^queues/$": {"/api/queues/": SIGNED_IN},
    "api/tickets/<str:reference>/aws-case/": {
        "/api/tickets/{mine}/aws-case/": (LOGIN, HIDDEN, OK, OK, OK),
        "/api/tickets/{other}/aws-case/": (LOGIN, HIDDEN, HIDDEN, OK, OK),
    },
    # The admin's own pages; each registered model's changelist and add page are sampled below.
    "admin/": {"/admin/": ADMIN_ONLY},
    "admin/login/": {"/admin/login/": (LOGIN, REFUSED, REFUSED, REFUSED, "/admin/")},  # allauth signs in, with MFA
    "admin/logout/": {"/admin/logout/": ("/admin/", "/admin/", "/admin/", "/admin/", NOT_GET)},
    "admin/password_change/": {"/admin/password_change/": ADMIN_ONLY},
    "admin/password_change/done/": {"/admin/password_change/done/": ADMIN_ONLY},
    "admin/autocomplete/": {"/admin/autocomplete/": (ADMIN, ADMIN, ADMIN, ADMIN, REFUSED)},
    "admin/jsi18n/": {"/admin/jsi18n/": ADMIN_ONLY},
    "admin/r/<path:content_type_id>/<path:object_id>/": {
        "/admin/r/{ticket_type}/{other_pk}/": (ADMIN, ADMIN, ADMIN, ADMIN, "http://testserver/tickets/{other}/")
    },
    "admin/^(?P<app_label>...)/$": {"/admin/tickets/": ADMIN_ONLY},
    "admin/(?P<url>.*)$": {"/admin/nothing-here/": (ADMIN, ADMIN, ADMIN, ADMIN, HIDDEN)},
    "admin/accounts/user/<id>/password/": {"/admin/accounts/user/{requester_pk}/password/": ADMIN_ONLY},
    # allauth
    "accounts/login/": {"/accounts/login/": (OK, "/", "/", "/", "/")},
    "accounts/logout/": {"/accounts/logout/": ("/", OK, OK, OK, OK)},  # a GET asks; a POST signs out
    "accounts/inactive/": {"/accounts/inactive/": EVERYONE},
    "accounts/signup/": {"/accounts/signup/": (OK, "/", "/", "/", "/")},
    "accounts/reauthenticate/": {"/accounts/reauthenticate/": SIGNED_IN},
    "accounts/reauthenticate/code/": {"/accounts/reauthenticate/code/": (LOGIN, *["/accounts/reauthenticate/"] * 4)},
    "accounts/reauthenticate/code/confirm/": {
        "/accounts/reauthenticate/code/confirm/": (LOGIN, *["/accounts/reauthenticate/code/"] * 4)
    },
    "accounts/email/": {"/accounts/email/": SIGNED_IN},
    "accounts/confirm-email/": {"/accounts/confirm-email/": EVERYONE},
    "accounts/password/change/": {"/accounts/password/change/": SIGNED_IN},
    "accounts/password/set/": {"/accounts/password/set/": (LOGIN, *["/accounts/password/change/"] * 4)},
    "accounts/password/reset/": {"/accounts/password/reset/": EVERYONE},
    "accounts/login/code/confirm/": {"/accounts/login/code/confirm/": ("/accounts/login/", "/", "/", "/", "/")},
    r"accounts/^confirm-email/(?P<key>[-:\w]+)/$": {"/accounts/confirm-email/nope/": EVERYONE},
    "accounts/password/reset/key/done/": {"/accounts/password/reset/key/done/": EVERYONE},
    r"accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": {
        "/accounts/password/reset/key/1-nope/": EVERYONE
    },
    "accounts/password/reset/done/": {"/accounts/password/reset/done/": EVERYONE},
    "accounts/2fa/": {"/accounts/2fa/": SIGNED_IN},
    "accounts/2fa/authenticate/": {"/accounts/2fa/authenticate/": ("/accounts/login/", "/", "/", "/", "/")},
    "accounts/2fa/reauthenticate/": {"/accounts/2fa/reauthenticate/": (LOGIN, *["/accounts/reauthenticate/"] * 4)},
    "accounts/2fa/totp/activate/": {"/accounts/2fa/totp/activate/": (LOGIN, *["/accounts/2fa/"] * 4)},
    "accounts/2fa/totp/deactivate/": {"/accounts/2fa/totp/deactivate/": NO_AUTHENTICATOR},
    "accounts/2fa/recovery-codes/": {"/accounts/2fa/recovery-codes/": NO_AUTHENTICATOR},
    "accounts/2fa/recovery-codes/generate/": {
        "/accounts/2fa/recovery-codes/generate/": (LOGIN, *["/accounts/reauthenticate/"] * 4)
    },
    "accounts/2fa/recovery-codes/download/": {"/accounts/2fa/recovery-codes/download/": NO_AUTHENTICATOR},
    "accounts/3rdparty/login/cancelled/": {"/accounts/3rdparty/login/cancelled/": EVERYONE},
    "accounts/3rdparty/login/error/": {"/accounts/3rdparty/login/error/": (401, 401, 401, 401, 401)},
    "accounts/3rdparty/signup/": {"/accounts/3rdparty/signup/": ("/accounts/login/",) * 5},  # none pending
    "accounts/3rdparty/": {"/accounts/3rdparty/": SIGNED_IN},
    "accounts/social/login/cancelled/": {
        "/accounts/social/login/cancelled/": ("/accounts/3rdparty/login/cancelled/",) * 5
    },
    "accounts/social/login/error/": {"/accounts/social/login/error/": ("/accounts/3rdparty/login/error/",) * 5},
    "accounts/social/signup/": {"/accounts/social/signup/": ("/accounts/3rdparty/signup/",) * 5},
    "accounts/social/connections/": {"/accounts/social/connections/": ("/accounts/3rdparty/",) * 5},
    r"accounts/oidc/^(?P<provider_id>[^/]+)/login/": {"/accounts/oidc/nope/login/": (HIDDEN,) * 5},
    r"accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/": {"/accounts/oidc/nope/login/callback/": (HIDDEN,) * 5},
    # An IdP no app names (tests/accounts/test_saml.py signs in through one)
    "accounts/saml/<str:organization_slug>/acs/finish/": {"/accounts/saml/nope/acs/finish/": (HIDDEN,) * 5},
    r"accounts/^saml/(?P<organization_slug>[^/]+)/acs/": {
        "/accounts/saml/nope/acs/": ("/accounts/saml/nope/acs/finish/",) * 5  # allauth's hop to keep the session
    },
    r"accounts/^saml/(?P<organization_slug>[^/]+)/acs/finish/": {},  # served by the one above
    r"accounts/^saml/(?P<organization_slug>[^/]+)/sls/": {"/accounts/saml/nope/sls/": (HIDDEN,) * 5},
    r"accounts/^saml/(?P<organization_slug>[^/]+)/metadata/": {"/accounts/saml/nope/metadata/": (HIDDEN,) * 5},
    r"accounts/^saml/(?P<organization_slug>[^/]+)/login/": {"/accounts/saml/nope/login/": (HIDDEN,) * 5},
}

# Admin pages of a model: the sample asks its changelist and add page. These models are read-only there.
ADMIN_NO_ADD = {
    "tickets.ticket",  # made through the service, with its timeline
    "integrations.snsmessage",
    "integrations.trustedadvisorcheck",
    "integrations.pollrun",
    "integrations.finding",
    "integrations.healthevent",
    "integrations.securityfinding",
    "integrations.alarm",
    "notifications.notification",
    "chat.slackuser",  # what Slack says (users.info)
    "directory.directorychange",  # the directory's record of what it changed
    "directory.directoryuser",  # what SCIM made
    "directory.directorygroup",
    "escalation.ticketescalation",
    "paging.page",
    "rules.notificationhold",
    "kpis.kpisnapshot",
    "readiness.review",
    "mail.inboundemail",  # what arrived
}
_ADMIN_MODEL_PAGE = re.compile(r"^admin/(\w+)/(\w+)/")
_APP_LABELS = re.compile(r"\(\?P<app_label>[^)]*\)")


def walk(patterns=None, prefix: str = "") -> list[tuple[str, Any]]:
    """Every pattern of the resolver as one string, with its view."""
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            found += walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            # the admin's app list spells out every app label: a new app must not ask for a new decision
            found.append((_APP_LABELS.sub("(?P<app_label>...)", prefix + str(p.pattern)), p.callback))
    return found


def admin_model_probes() -> dict[str, tuple]:
    probes = {}
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        probes[base] = ADMIN_ONLY
        no_add = model._meta.label_lower in ADMIN_NO_ADD
        probes[f"{base}add/"] = (*ADMIN_ONLY[:-1], REFUSED) if no_add else ADMIN_ONLY
    return probes


@dataclass
class Landscape:
    people: dict[str, Any]
    names: dict[str, Any]
    secrets: dict[str, list[str]]  # by role: text no answer may show them, whatever its status

    def fill(self, text: str) -> str:
        return text.format(**self.names)


@pytest.fixture
def landscape(db, settings, tmp_path, fake_aws) -> Landscape:
    settings.MEDIA_ROOT = tmp_path  # uploads go away with the test
    requester, agent = UserFactory(role=Role.REQUESTER), UserFactory(role=Role.AGENT)
    manager, admin_user = UserFactory(role=Role.MANAGER), UserFactory(role=Role.ADMIN)
    queue, other_queue = QueueFactory(members=[agent]), QueueFactory()
    account = AwsAccount.objects.create(
        account_id="111122223333",
        name="Payments prod",
        environment="production",
        owner_queue=queue,
        role_arn="arn:aws:iam::111122223333:role/SupportdeskRead",
    )
    mine = TicketFactory(
        requester=requester, queue=queue, aws_account_id=account.account_id, attachments=[upload("mine.log")]
    )
    other = TicketFactory(
        queue=other_queue,
        title="Payroll export leaks salaries",
        aws_account_id=account.account_id,
        attachments=[upload("other.log")],
    )
    services.comment_add(
        ticket=mine, author=agent, body="Their switch is end of life, do not tell them", is_internal=True
    )
    now = timezone.now()
    for n, ticket in enumerate((mine, other)):
        SupportCase.objects.create(
            ticket=ticket,
            account=account,
            case_id=f"case-{n}",
            display_id=str(n),
            state=SupportCase.State.OPEN,
            severity_code="low",
            service_code="amazon-ec2",
            category_code="other",
            subject=ticket.title,
            body=ticket.description,
            opened_at=now,
        )
    start = now + timedelta(days=1)
    window = MaintenanceWindow.objects.create(
        title="Database upgrade", account=account, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    # on the calendar and the account page of everyone who sees them: the ticket's reference, never its title
    MaintenanceWindow.objects.create(
        title="Ledger failover", account=account, ticket=other, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    template = ReviewTemplate.objects.get(name="Operational readiness (quarterly)")
    reviews = [
        readiness_services.review_create(
            actor=manager,
            template=template,
            due_on=timezone.localdate() + timedelta(days=30),
            workload=Workload.objects.create(name=name, owner_queue=q, owner=manager),
        )
        for q, name in ((queue, "Checkout API"), (other_queue, "Salary ledger"))
    ]
    review, other_review = reviews
    names = {
        "mine": mine.reference,
        "other": other.reference,
        "mine_file": mine.attachments.get().pk,
        "other_file": other.attachments.get().pk,
        "other_pk": other.pk,
        "requester_pk": requester.pk,
        "ticket_type": ContentType.objects.get_for_model(Ticket).pk,
        "account": account.pk,
        "queue_slug": queue.slug,
        "window": window.pk,
        "review": review.pk,
        "other_review": other_review.pk,
        "answer": review.answers.first().pk,
        "other_answer": other_review.answers.first().pk,
    }
    people = {"anonymous": None, "requester": requester, "agent": agent, "manager": manager, "admin": admin_user}
    unseen = [other.title, "Salary ledger"]  # what one queue hides from the others
    internal = ["Their switch is end of life"]
    secrets = {"anonymous": [*unseen, *internal, mine.title], "requester": [*unseen, *internal], "agent": unseen}
    return Landscape(people=people, names=names, secrets=secrets)


def _answered(outcome, response, *, api: bool, land: Landscape) -> bool:
    code = response.status_code
    if outcome == LOGIN:
        if api:
            return code in (401, 403)
        return code == 302 and response.url.startswith(SIGN_IN)
    if outcome == ADMIN:
        return code == 302 and response.url.startswith(ADMIN_SIGN_IN)
    if isinstance(outcome, str):
        return code in (301, 302) and response.url.startswith(land.fill(outcome))
    return code == outcome


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _said(response) -> str:
    return f"{response.status_code} {response.get('Location', '')}".strip()


def test_every_url_pattern_has_an_access_decision():
    admin_models = {f"admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry}
    missing = []
    for route, view in walk():
        if route in ACCESS:
            continue
        model_page = _ADMIN_MODEL_PAGE.match(route)
        if getattr(view, "model_admin", None) is not None and model_page and model_page.group(0) in admin_models:
            continue  # a registered model's page: admins only, sampled by admin_model_probes()
        missing.append(f"add {route!r} to the access table (ACCESS in {__name__})")
    assert not missing, "\n".join(missing)


def test_the_table_names_only_patterns_that_exist():
    routes = {route for route, _ in walk()}
    assert sorted(set(ACCESS) - routes) == []


def test_anonymous_is_sent_to_sign_in_except_on_public_pages():
    open_to_anonymous = []
    for route, probes in ACCESS.items():
        for probe, outcomes in probes.items():
            if outcomes[0] not in (LOGIN, ADMIN) and route not in PUBLIC:
                open_to_anonymous.append(f"{route}: {probe} answers anonymous {outcomes[0]}")
    assert not open_to_anonymous, "\n".join(open_to_anonymous)


def test_the_table_hides_other_queues_objects_from_requesters_and_agents():
    unseen = ("{other}", "{other_file}", "{other_review}", "{other_answer}")
    shown = [
        f"{probe} answers {role} {outcomes[ROLES.index(role)]}"
        for probes in ACCESS.values()
        for probe, outcomes in probes.items()
        if any(name in probe for name in unseen)
        for role in ("requester", "agent")
        if outcomes[ROLES.index(role)] != HIDDEN
    ]
    assert not shown, "an object outside the role's view answers 404:\n" + "\n".join(shown)


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_url(landscape, role):
    # given
    client = Client(raise_request_exception=False)  # a 500 is reported with the rest, not raised at once
    user = landscape.people[role]
    if user is not None:
        client.force_login(user)
    column = ROLES.index(role)
    probes = [(route, probe, outcomes) for route, by_probe in ACCESS.items() for probe, outcomes in by_probe.items()]
    probes += [("admin model page", probe, outcomes) for probe, outcomes in admin_model_probes().items()]
    wrong = []
    for route, probe, outcomes in probes:
        expected = outcomes[column]
        if expected is SKIP:
            continue
        method, _, path = probe.rpartition(" ")
        path = landscape.fill(path)
        # when
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, (method or "GET").lower())(path)
        # then
        heard = _said(response)
        if response.status_code >= 500:
            wrong.append(f"{probe} ({route}) answered {heard}: never a 5xx")
        elif not _answered(expected, response, api=path.startswith("/api/"), land=landscape):
            wrong.append(f"{probe} ({route}) answered {heard}, the table says {expected}")
        elif leaked := [text for text in landscape.secrets.get(role, []) if text in _body(response)]:
            wrong.append(f"{probe} ({route}) showed what {role} may not see: {leaked}")
        elif len(queries) > MAX_QUERIES:
            wrong.append(f"{probe} ({route}) ran {len(queries)} queries, more than {MAX_QUERIES}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
