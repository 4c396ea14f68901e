"""Project exceptions for AWS failures, and the one place botocore errors are translated."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError


class AwsError(Exception):
    """Base class; ``str()`` is a sentence a person can read."""


class AwsThrottled(AwsError):
    pass


class AwsUnavailable(AwsError):
    """Connection or endpoint failure, or an AWS-side 5xx."""


class AwsUnreachable(AwsUnavailable):
    """No answer at all (connection, TLS, proxy, timeout): another endpoint of the service may still answer."""


class AwsPlanTooLow(AwsError):
    """The account's support plan does not include API access."""


class AwsAccessDenied(AwsError):
    pass


class AwsNotFound(AwsError):
    pass


# Every way a request can fail on the wire: endpoint, proxy, TLS, connect or read timeout, a closed connection.
# ConnectionError covers the first four, HTTPClientError the last two (botocore's own classes, not requests').
CONNECTION_FAILURES = (BotoConnectionError, HTTPClientError)

# Worth retrying with backoff; everything else is a permanent answer for this request.
RETRYABLE: tuple[type[AwsError], ...] = (AwsThrottled, AwsUnavailable)

# Codes, not botocore classes: SubscriptionRequiredException and AccessDenied are not modeled.
_THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "Throttled",
        "KMSThrottling",  # SNS
    }
)
# S3's HeadObject (a download's first call) has no body, so no code but the status: "404"
_NOT_FOUND_CODES = frozenset(
    {"CaseIdNotFound", "ResourceNotFoundException", "NotFoundException", "NoSuchBucket", "NoSuchKey", "404"}
)
_DENIED_ACTION = re.compile(r"perform: (\S+)")


def _translate(exc: ClientError) -> AwsError:
    err = exc.response.get("Error", {})
    code = err.get("Code", "Unknown")
    message = err.get("Message", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _THROTTLE_CODES:
        return AwsThrottled("AWS is throttling requests; will retry.")
    if code == "SubscriptionRequiredException":
        return AwsPlanTooLow("This API needs a Business-level support plan or higher.")
    if code.startswith("AccessDenied"):
        # The trustedadvisor API also says AccessDeniedException for a missing plan: we cannot tell the two apart.
        action = _DENIED_ACTION.search(message)
        what = f" to {action.group(1)}" if action else ""
        return AwsAccessDenied(f"AWS denied access{what}; check the account's role and support plan.")
    if code in _NOT_FOUND_CODES:
        return AwsNotFound(f"AWS could not find it: {message or code}")
    if status >= 500:
        return AwsUnavailable(f"AWS had an internal error ({code}); will retry.")
    return AwsError(f"AWS refused: {code} {message}".rstrip())


@contextmanager
def translated_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        raise _translate(exc) from exc
    except CONNECTION_FAILURES as exc:
        raise AwsUnreachable("AWS is unreachable; will retry.") from exc
    except NoCredentialsError as exc:
        raise AwsAccessDenied(
            "Supportdesk has no AWS credentials: give the server an instance role or AWS_* variables, "
            "or set an IAM role ARN on the account."
        ) from exc
