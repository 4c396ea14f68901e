"""A live sandbox for tests, and the shape check every answer goes through."""

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.validate import ParamValidator

from tools.sandbox.scenario import World
from tools.sandbox.server import Sandbox, serve

EPOCH = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
# One attempt: a test sees each answer as the sandbox gave it, throttling included
_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1})
_SESSION = boto3.Session()  # one session: its model cache makes each new client cheap


class Live:
    """A sandbox serving on a free port, with the clock in the test's hands."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.now = EPOCH + timedelta(seconds=1)
        self.sandbox = Sandbox(world, now=lambda: self.now)
        self.server = serve(self.sandbox, port=0)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._clients: dict[tuple[str, str | None], Any] = {}
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def at_step(self, step: int) -> None:
        self.now = self.world.clock.time(step) + timedelta(seconds=1)

    def client(self, service: str, account_id: str | None = None) -> Any:
        """A boto3 client signed with default-chain keys, or with the keys STS hands out for the account's role."""
        key = (service, account_id)
        if key not in self._clients:
            keys = {"aws_access_key_id": "AKIAEXAMPLEDEFAULT00", "aws_secret_access_key": "testing"}
            if account_id:
                credentials = self.client("sts").assume_role(
                    RoleArn=f"arn:aws:iam::{account_id}:role/SupportdeskRead", RoleSessionName="tests"
                )["Credentials"]
                keys = {
                    "aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"],
                }
            self._clients[key] = _SESSION.client(
                service, region_name="us-east-1", endpoint_url=self.url, config=_CONFIG, **keys
            )
        return self._clients[key]


def _strict(value: Any, shape: Any, path: str) -> list[str]:
    """What ParamValidator lets through: enums, patterns and maximum lengths (docs/aws.md#fakes)."""
    problems = []
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                problems += _strict(value[name], member, f"{path}.{name}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            problems += _strict(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += _strict(item, shape.value, f"{path}.{key}")
    elif shape.type_name == "string":
        if getattr(shape, "enum", None) and value not in shape.enum:
            problems.append(f"{path}: {value!r} not in {shape.enum}")
        if len(value) > shape.metadata.get("max", len(value)):
            problems.append(f"{path}: longer than {shape.metadata['max']}")
        try:
            pattern = re.compile(shape.metadata.get("pattern", ""))
        except re.error:
            pattern = re.compile("")  # a few model patterns use \\p{L} classes Python lacks
        if not pattern.search(value):
            problems.append(f"{path}: {value!r} does not match {pattern.pattern}")
    return problems


def assert_valid(client: Any, operation: str, response: dict[str, Any]) -> None:
    """The parsed response fits the operation's output shape in botocore's model."""
    shape = client.meta.service_model.operation_model(operation).output_shape
    parsed = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(parsed, shape)
    assert not report.has_errors(), report.generate_report()
    assert not _strict(parsed, shape, operation)


def assert_valid_error(service_model: Any, response: dict[str, Any]) -> None:
    """A ClientError's modelled members (``Reason``, ``Fields``…) fit the shape the model gives its code."""
    shape = service_model.shape_for_error_code(response["Error"]["Code"])
    assert shape is not None, f"{response['Error']['Code']} is not modelled"
    members = {k: v for k, v in response.items() if k not in ("Error", "ResponseMetadata")}
    assert set(members) >= {"Message"} & set(shape.members), "the message is in the shape's own member"
    report = ParamValidator().validate(members, shape)
    assert not report.has_errors(), report.generate_report()
    assert not _strict(members, shape, response["Error"]["Code"])
