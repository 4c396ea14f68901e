"""The HTTPS endpoint Amazon SNS pushes to. SNS cannot sign in or send a CSRF token: the signature is the check."""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from awsgateway.errors import RETRYABLE
from awsgateway.sns_signature import SnsMalformed, SnsRejected, sns_message_parse

from .sns import sns_push_receive

logger = logging.getLogger("integrations.sns")

# SNS messages are at most 256 KB; an EventBridge event is JSON-escaped inside the envelope (each quote doubles).
MAX_BODY_BYTES = 2 * 256 * 1024 + 16 * 1024


@csrf_exempt
@require_POST
def sns_push(request: HttpRequest) -> HttpResponse:
    """200: handled or a redelivery. 400: not an SNS delivery. 403: forged, stale, or a topic not allowed.

    413: too big. 503: SNS or the database could not be reached; SNS retries 5xx answers, never 4xx ones.
    """
    length = _content_length(request)
    if length > MAX_BODY_BYTES:
        logger.warning("SNS push refused with 413: a body of %d bytes.", length)
        return HttpResponse(status=413)
    try:
        message = sns_message_parse(body=request.body)
    except SnsRejected as exc:
        return _refused(exc, topic_arn=exc.topic_arn, message_id=exc.message_id)
    message_type = request.headers.get("x-amz-sns-message-type", "")
    try:
        outcome = sns_push_receive(message=message, message_type=message_type)
    except SnsRejected as exc:
        return _refused(exc, topic_arn=message.topic_arn, message_id=message.message_id)
    except RETRYABLE as exc:
        logger.warning(
            "SNS push deferred with 503: %s topic=%r message_id=%r", exc, message.topic_arn, message.message_id
        )
        return HttpResponse(status=503)
    logger.info("SNS %s taken: %s topic=%r message_id=%r", message.type, outcome, message.topic_arn, message.message_id)
    return HttpResponse(status=200)


def _refused(exc: SnsRejected, *, topic_arn: str, message_id: str) -> HttpResponse:
    status = 400 if isinstance(exc, SnsMalformed) else 403
    # %r: topic and id come from the caller, and must not forge log lines
    logger.warning(
        "SNS push refused with %d (%s): %s topic=%r message_id=%r",
        status,
        type(exc).__name__,
        exc,
        topic_arn,
        message_id,
    )
    return HttpResponse(status=status)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django then reads no body, which is refused as not JSON
