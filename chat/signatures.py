"""Slack signs every request it sends (https://api.slack.com/authentication/verifying-requests-from-slack): v0, an
HMAC-SHA256 of ``v0:<timestamp>:<raw body>`` with the app's signing secret, in X-Slack-Signature, and the timestamp
in X-Slack-Request-Timestamp. A request unsigned is a 401, forged or older than five minutes a 403: before anything
is read from it, so a refused request has no effect."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier


def slack_refusal(request: HttpRequest) -> HttpResponse | None:
    """None for a request Slack signed within the last five minutes; else the answer that refuses it."""
    if not settings.SLACK_SIGNING_SECRET:
        return HttpResponse("Slack is not configured on this Supportdesk.", status=503, content_type="text/plain")
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return HttpResponse("This request is not signed by Slack.", status=401, content_type="text/plain")
    # the replay window (five minutes either way) is the verifier's, on this machine's clock
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
    try:
        valid = timestamp.isdigit() and verifier.is_valid(body=request.body, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError:  # Slack sends UTF-8: anything else is not Slack's
        valid = False
    if not valid:
        return HttpResponse("The Slack signature is wrong or too old.", status=403, content_type="text/plain")
    return None


def slack_signed(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A POST endpoint for Slack: exempt from CSRF (Slack's signature stands in for the token), refused unsigned."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        return slack_refusal(request) or view(request)

    return checked
