import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

from awsgateway import support
from awsgateway.errors import (
    RETRYABLE,
    AwsAccessDenied,
    AwsError,
    AwsNotFound,
    AwsPlanTooLow,
    AwsThrottled,
    AwsUnavailable,
    translated_errors,
)

from .helpers import stubbed


def _client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "AnyOperation"
    )


def test_subscription_required_from_the_real_client_is_plan_too_low(monkeypatch, access):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_client_error(
            "describe_severity_levels",
            service_error_code="SubscriptionRequiredException",
            service_message="AWS Premium Support Subscription is required to use this service.",
            http_status_code=400,
        )
        with pytest.raises(AwsPlanTooLow) as caught:
            support.severity_levels(access)
    assert str(caught.value) == "This API needs a Business-level support plan or higher."
    assert not isinstance(caught.value, RETRYABLE)


def test_throttling_from_the_real_client_is_retryable(monkeypatch, access):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_client_error("describe_services", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(AwsThrottled) as caught:
            support.support_services(access)
    assert isinstance(caught.value, RETRYABLE)


def test_access_denied_from_the_real_client_names_the_action(monkeypatch, access):
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/supportdesk/supportdesk is not authorized to perform: "
        "support:DescribeSeverityLevels on resource: *"
    )
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_client_error(
            "describe_severity_levels",
            service_error_code="AccessDeniedException",
            service_message=message,
            http_status_code=403,
        )
        with pytest.raises(AwsAccessDenied, match="to support:DescribeSeverityLevels"):
            support.severity_levels(access)


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"]
)
def test_throttle_codes(code):
    with pytest.raises(AwsThrottled), translated_errors():
        raise _client_error(code)


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException"])
def test_access_denied_codes_without_an_action(code):
    with pytest.raises(AwsAccessDenied) as caught, translated_errors():
        raise _client_error(code, "nope", 403)
    assert "perform" not in str(caught.value)
    assert not isinstance(caught.value, RETRYABLE)


def test_server_errors_are_unavailable():
    with pytest.raises(AwsUnavailable), translated_errors():
        raise _client_error("InternalServerError", "oops", 500)


def test_not_found():
    with pytest.raises(AwsNotFound), translated_errors():
        raise _client_error("CaseIdNotFound", "no such case")


def test_other_codes_keep_code_and_message():
    with pytest.raises(AwsError) as caught, translated_errors():
        raise _client_error("CaseCreationLimitExceeded", "Too many cases")
    assert type(caught.value) is AwsError
    assert str(caught.value) == "AWS refused: CaseCreationLimitExceeded Too many cases"
    assert isinstance(caught.value.__cause__, ClientError)


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="https://support.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://support.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://support.us-east-1.amazonaws.com"),
        ConnectionClosedError(endpoint_url="https://support.us-east-1.amazonaws.com"),
        SSLError(endpoint_url="https://support.us-east-1.amazonaws.com", error="certificate verify failed"),
        ProxyConnectionError(proxy_url="http://proxy.internal:3128", error="refused"),
    ],
)
def test_connection_failures_are_unavailable(exc):
    with pytest.raises(AwsUnavailable) as caught, translated_errors():
        raise exc
    assert isinstance(caught.value, RETRYABLE)


def test_unrelated_exceptions_pass_through():
    with pytest.raises(KeyError), translated_errors():
        raise KeyError("x")


def test_missing_credentials_say_what_to_set():
    with pytest.raises(AwsAccessDenied, match="no AWS credentials"), translated_errors():
        raise NoCredentialsError()
