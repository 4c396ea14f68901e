"""The HTTP face of the sandbox: it tells the four wire protocols apart and answers each in kind.

- JSON 1.1 and 1.0: a POST with ``X-Amz-Target: <prefix>.<Operation>`` (Support, Health, Organizations; SMS and
  voice in 1.0);
- RPC v2 CBOR: a POST to ``/service/<prefix>/operation/<Operation>`` (Health's first declared protocol);
- query: a form-encoded POST with ``Action=`` (STS), answered in XML;
- REST-JSON: a GET to ``/v1/...`` (the newer trustedadvisor API, and its PUT of exclusions); Security Hub's
  POST /findings and PATCH /findings/batchupdate.

It also plays SNS delivering CloudWatch alarms to the portal (cloudwatch.py), serving the signing certificate at
``/sns/``.

Pages for people, not SDKs, live under their own paths: ``/phone/`` shows what SMS and voice sent (phone.py), and
``/slack/`` is a fake Slack, its Web API and its chat view (slack.py).
"""

import json
import re
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import cbor2

from . import cloudwatch, phone, securityhub, slack, sts, trustedadvisor
from .api import AwsError, Call
from .health import Health
from .organizations import Organizations
from .scenario import PAID_PLANS, World
from .smsvoice import SmsVoice
from .support import Support

_CBOR_PATH = re.compile(r"^/service/([\w.]+)/operation/(\w+)$")
_TA_EXCLUSIONS = "/v1/batch-update-recommendation-resource-exclusion"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sandbox:
    """The world, the services that answer for it, and the knobs tests turn (the clock, throttling)."""

    def __init__(self, world: World, *, now: Callable[[], datetime] = _utc_now, throttle_every: int = 0) -> None:
        self.world = world
        self.now = now
        self.throttle_every = throttle_every  # every Nth request is throttled; 0 never
        self.sts = sts.Sts()
        self.slack = slack.FakeSlack.from_environment()  # /slack/: Slack's Web API and the chat view
        self.trusted_advisor = trustedadvisor.TrustedAdvisor()
        self.security_hub = securityhub.SecurityHub()
        self.sms_voice = SmsVoice()  # the phone page reads what it sent
        self.services = {
            "AWSSupport_20130415": Support(),
            "AWSHealth_20160804": Health(),
            "AWSOrganizationsV20161128": Organizations(),
            "PinpointSMSVoiceV2": self.sms_voice,
        }
        self._requests = 0
        self._lock = threading.Lock()

    def answer(self, service: Any, operation: str, params: dict[str, Any], headers: Any) -> dict[str, Any]:
        """The operation's result; raises ``AwsError`` for the answers AWS gives as errors."""
        if service is None or operation not in service.operations():
            code = "InvalidAction" if service is self.sts else "UnknownOperationException"
            raise AwsError(code, f"Could not find operation {operation}")
        if self._throttled():
            raise AwsError(*service.throttling)
        account = sts.caller(self.world, headers.get("Authorization"))
        if service.plan_refusal and account.plan not in PAID_PLANS:
            raise AwsError(*service.plan_refusal)
        call = Call(self.world, account, self.now(), headers.get("X-Amz-Security-Token", ""))
        return service.operations()[operation](call, params)

    def _throttled(self) -> bool:
        if not self.throttle_every:
            return False
        with self._lock:
            self._requests += 1
            return self._requests % self.throttle_every == 0


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()  # JSON 1.1 timestamps are epoch seconds
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decoded(decode: Callable[[], dict]) -> dict:
    try:
        return decode()
    except (ValueError, cbor2.CBORDecodeError):  # JSONDecodeError is a ValueError
        raise AwsError("SerializationException", "The request body is malformed.") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses its connections
    disable_nagle_algorithm = True  # headers and body go out as two writes; Nagle would hold the body ~40 ms
    server: "_Server"

    def do_POST(self) -> None:
        if self.path.startswith(slack.PREFIX):
            slack.answer(self, self.server.sandbox.slack)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if phone.wanted(path):
            sandbox = self.server.sandbox
            self._page(phone.post(sandbox.sms_voice, path, body, self.headers, now=sandbox.now()))
            return
        if securityhub.ROUTES.get(("POST", path)):
            self._rest_json("POST", path, body)
            return
        target, cbor_path = self.headers.get("X-Amz-Target"), _CBOR_PATH.match(self.path)
        if target:
            prefix, _, operation = target.partition(".")
            decode: Callable[[bytes], Any] = json.loads
            json_version = "1.0" if self.headers.get("Content-Type", "").endswith("json-1.0") else "1.1"
            send: Callable[[int, dict[str, Any]], None] = partial(self._send_json, version=json_version)
        elif cbor_path:
            prefix, operation = cbor_path[1], cbor_path[2]
            decode, send = cbor2.loads, self._send_cbor
        else:
            self._query(body)
            return
        service = self.server.sandbox.services.get(prefix)
        self._rpc(service, f"{prefix}.{operation}", lambda: decode(body) if body else {}, send)

    def do_GET(self) -> None:
        if self.path.startswith(slack.PREFIX):
            slack.answer(self, self.server.sandbox.slack)
            return
        url = urlsplit(self.path)
        if url.path.startswith(cloudwatch.PREFIX):  # SNS's signing certificate, for the alarms it pushes
            pem = cloudwatch.certificate_pem(url.path)
            self._send(200 if pem else 404, "application/x-pem-file", pem or b"", {})
            return
        if phone.wanted(url.path):
            sandbox = self.server.sandbox
            self._page(phone.get(sandbox.sms_voice, url.path, url.query, now=sandbox.now()))
            return
        operation, params = trustedadvisor.route(url.path, dict(parse_qsl(url.query)))
        self._rpc(self.server.sandbox.trusted_advisor, f"trustedadvisor.{operation}", lambda: params, self._send_json)

    def do_PATCH(self) -> None:
        self._rest_json("PATCH")

    def do_PUT(self) -> None:
        self._rest_json("PUT")

    def _rest_json(self, method: str, path: str = "", body: bytes | None = None) -> None:
        """Security Hub's routes, and the trustedadvisor API's one write."""
        path = path or urlsplit(self.path).path
        if body is None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        sandbox = self.server.sandbox
        service: Any = sandbox.security_hub
        operation = securityhub.ROUTES.get((method, path), "")
        if (method, path) == ("PUT", _TA_EXCLUSIONS):
            service, operation = sandbox.trusted_advisor, "BatchUpdateRecommendationResourceExclusion"
        prefix = "securityhub" if service is sandbox.security_hub else "trustedadvisor"
        self._rpc(service, f"{prefix}.{operation}", lambda: json.loads(body) if body else {}, self._send_json)

    def _rpc(self, service: Any, target: str, decode: Callable[[], dict], send: Callable) -> None:
        sandbox = self.server.sandbox
        try:
            params = _decoded(decode)
            status, payload = 200, sandbox.answer(service, target.rpartition(".")[2], params, self.headers)
        except AwsError as error:
            status, payload = error.status, error.body()
        self._log(target, status)
        send(status, payload)

    def _query(self, body: bytes) -> None:
        sandbox = self.server.sandbox
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        operation = form.pop("Action", "")
        request_id = str(uuid.uuid4())
        try:
            result = sandbox.answer(sandbox.sts, operation, form, self.headers)
            status, payload = 200, sts.xml_response(operation, result, request_id)
        except AwsError as error:
            status, payload = error.status, sts.xml_error(error, request_id)
        self._log(f"STS.{operation}", status)
        self._send(status, "text/xml", payload, {"x-amzn-RequestId": request_id})

    def _send_json(self, status: int, payload: dict[str, Any], version: str = "1.1") -> None:
        body = json.dumps(payload, default=_epoch_seconds).encode()
        self._send(status, f"application/x-amz-json-{version}", body, {"x-amzn-RequestId": str(uuid.uuid4())})

    def _page(self, answer: phone.Answer) -> None:
        self._send(answer.status, answer.content_type, answer.body, answer.headers)

    def _send_cbor(self, status: int, payload: dict[str, Any]) -> None:
        body = cbor2.dumps(payload, datetime_as_timestamp=True)  # tag 1, the only tag botocore reads
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "smithy-protocol": "rpc-v2-cbor"}
        self._send(status, "application/cbor", body, headers)

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _log(self, operation: str, status: int) -> None:
        if self.server.verbose:
            print(f"sandbox: {operation} {status}", file=sys.stderr, flush=True)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line says nothing for RPC protocols; _log says the operation


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks poll many accounts at once
    sandbox: Sandbox
    verbose: bool


def serve(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 4566, verbose: bool = False) -> ThreadingHTTPServer:
    """A bound server; call ``serve_forever()`` on it (in a thread, for tests) and ``shutdown()`` to stop."""
    server = _Server((host, port), _Handler)
    server.sandbox, server.verbose = sandbox, verbose
    return server
