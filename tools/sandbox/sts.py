"""STS in its query protocol (form-encoded POST in, XML out), and who signed a request.

The sandbox trusts signatures without checking them: it reads only the access key id. Keys it issues
carry the role's account id (``ASIASANDBOX`` + 12 digits), so a later request is that account's; any
other key (the default credential chain) is the world's default account.
"""

import base64
import re
from datetime import datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from .api import AwsError, Call
from .scenario import Account, World

_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_KEY_PREFIX = "ASIASANDBOX"  # 23 characters, within the model's [\w]{16,128}
_SANDBOX_KEY = re.compile(rf"^{_KEY_PREFIX}(\d{{12}})$")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")


def caller(world: World, authorization: str | None) -> Account:
    """The account a request acts for, from the access key in its SigV4 ``Authorization`` header."""
    found = _CREDENTIAL.search(authorization or "")
    if found is None:
        raise AwsError("MissingAuthenticationTokenException", "Missing Authentication Token")
    sandbox_key = _SANDBOX_KEY.match(found[1])
    account_id = sandbox_key[1] if sandbox_key else world.default_account_id
    if account_id not in world.accounts:  # a key from another world (another --accounts run)
        raise AwsError("UnrecognizedClientException", "The security token included in the request is invalid.")
    return world.accounts[account_id]


def _assumed_role_arn(call: Call) -> str | None:
    # Our session tokens are the assumed-role ARN, base64-encoded
    try:
        arn = base64.b64decode(call.session_token, validate=True).decode()
    except ValueError:
        return None
    return arn if arn.startswith(f"arn:aws:sts::{call.account.id}:assumed-role/") else None


def _role_id(account_id: str, session: str) -> str:
    return f"AROASANDBOX{account_id}:{session}"


class Sts:
    throttling = ("Throttling", "Rate exceeded", 400)
    plan_refusal = None

    def operations(self) -> dict:
        return {"AssumeRole": self.assume_role, "GetCallerIdentity": self.get_caller_identity}

    def assume_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        role_arn = params.get("RoleArn", "")
        session = params.get("RoleSessionName", "")
        parsed = _ROLE_ARN.match(role_arn)
        if parsed is None:
            raise AwsError("ValidationError", f"{role_arn} is invalid")
        account = call.world.accounts.get(parsed[1])
        if account is None or account.state != "ACTIVE":
            who = _assumed_role_arn(call) or f"arn:aws:iam::{call.account.id}:root"
            message = f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            raise AwsError("AccessDenied", message, status=403)
        assumed_arn = f"arn:aws:sts::{account.id}:assumed-role/{parsed[2]}/{session}"
        duration = int(params.get("DurationSeconds", 3600))
        return {
            "Credentials": {
                "AccessKeyId": f"{_KEY_PREFIX}{account.id}",
                "SecretAccessKey": "sandbox-secret-access-key-not-checked",
                "SessionToken": base64.b64encode(assumed_arn.encode()).decode(),
                "Expiration": call.now + timedelta(seconds=duration),
            },
            "AssumedRoleUser": {"AssumedRoleId": _role_id(account.id, session), "Arn": assumed_arn},
        }

    def get_caller_identity(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        account_id = call.account.id
        arn = _assumed_role_arn(call)
        if arn is None:  # the default credential chain: the account's root, as far as the sandbox knows
            return {"UserId": account_id, "Account": account_id, "Arn": f"arn:aws:iam::{account_id}:root"}
        return {"UserId": _role_id(account_id, arn.rsplit("/", 1)[1]), "Account": account_id, "Arn": arn}


def _text(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else str(value)


def _append(parent: Element, members: dict[str, Any]) -> None:
    for name, value in members.items():
        child = SubElement(parent, name)
        if isinstance(value, dict):
            _append(child, value)
        else:
            child.text = _text(value)


def xml_response(operation: str, result: dict[str, Any], request_id: str) -> bytes:
    root = Element(f"{operation}Response", xmlns=_NAMESPACE)
    _append(SubElement(root, f"{operation}Result"), result)
    _append(root, {"ResponseMetadata": {"RequestId": request_id}})
    return tostring(root, encoding="utf-8", xml_declaration=True)


def xml_error(error: AwsError, request_id: str) -> bytes:
    root = Element("ErrorResponse", xmlns=_NAMESPACE)
    kind = "Receiver" if error.status >= 500 else "Sender"
    _append(root, {"Error": {"Type": kind, "Code": error.code, "Message": error.message}, "RequestId": request_id})
    return tostring(root, encoding="utf-8", xml_declaration=True)
