"""Property-based run over the API's OpenAPI schema (schemathesis), once for each role: no 5xx, and every answer is
one the schema documents, with the body it describes. Select it with `-m schemathesis`."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from accounts.roles import Role
from supportdesk.wsgi import application

from .factories import QueueFactory, TicketFactory, UserFactory

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _connection_kept():
    # As Django's test client does: a request must not close the connection that holds the test's transaction
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=[Role.REQUESTER, Role.AGENT, Role.MANAGER, Role.ADMIN], ids=lambda role: role.value)
def token(request) -> str:
    user = UserFactory(role=request.param)
    queue = QueueFactory(members=[user] if request.param == Role.AGENT else [])
    TicketFactory(queue=queue, requester=user)  # something of theirs to read and change
    return Token.objects.create(user=user).key


# The coverage phase's boundary cases cost minutes; the fuzzing phase's, bounded below, seconds
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})


@pytest.fixture
def api_schema(token, request):
    request.node._nodeid = request.node.nodeid  # schemathesis 4 renames the node through this; pytest 9 has none
    loaded = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers={"Authorization": f"Token {token}"}, config=CONFIG
    )
    loaded.hook(filter_query)
    return loaded


def filter_query(context, query) -> bool:
    # A cursor is opaque: one that is not a previous page's is out of date, a 400 (tests/tickets/test_api.py)
    return not query or "cursor" not in query


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
