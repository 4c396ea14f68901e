"""One portal process, as a gunicorn worker is, driven by a test: reads a Python expression a line and answers
with its value as JSON. Started by `PortalProcess` (tests/accounts/processes.py)."""

import json
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.roles import Role, user_set_role  # noqa: E402, F401
from accounts.services import api_token_renew  # noqa: E402, F401

setup_test_environment()
User = get_user_model()
client = Client()


def person(email: str):
    return User.objects.get(email=email)


def sign_in(email: str) -> str:
    client.force_login(person(email))
    return client.cookies["sessionid"].value


def use_session(key: str) -> None:
    client.cookies["sessionid"] = key


def get(path: str, **headers) -> int:
    return client.get(path, **headers).status_code


def post(path: str, data: dict, **headers) -> tuple[int, str]:
    response = client.post(path, data, **headers)
    return response.status_code, response.content.decode()


def deactivate(email: str) -> None:
    user = person(email)
    user.is_active = False
    user.save()


def password_change(email: str, password: str) -> None:
    user = person(email)
    user.set_password(password)
    user.save()


for line in sys.stdin:
    try:
        answer = {"value": eval(line)}  # a test's own expressions
    except Exception as exc:  # the test shows it
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(answer, default=str), flush=True)
