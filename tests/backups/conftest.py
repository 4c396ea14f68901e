import pytest
from django.db import connection

from .helpers import database_url, postgres_admin


@pytest.fixture
def other_database():
    """An empty database beside the test one, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgres_admin(f'CREATE DATABASE "{name}"')
    yield database_url(name)
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
