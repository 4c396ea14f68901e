"""The newer Trusted Advisor API (``trustedadvisor`` 2022-09-15) in REST-JSON: GET routes, query parameters.

Checks, the account's recommendations (one per check) and their resources, showing the state the Support
API shows (checks.py) in this API's shape: metadata as maps keyed by position, times as ISO 8601 strings.
"""

import hashlib
import re
import uuid
from collections import Counter
from typing import Any
from urllib.parse import unquote

from .api import AwsError, Call, out_of_range, page, stamp, time_parameter
from .checks import CHECKS, CheckState, check_state, resource_id

_ROUTES = [
    (re.compile(r"^/v1/checks$"), "ListChecks"),
    (re.compile(r"^/v1/recommendations$"), "ListRecommendations"),
    (re.compile(r"^/v1/recommendations/(?P<recommendationIdentifier>[^/]+)$"), "GetRecommendation"),
    (re.compile(r"^/v1/recommendations/(?P<recommendationIdentifier>[^/]+)/resources$"), "ListRecommendationResources"),
]


def route(path: str, query: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The operation a GET names, and its parameters from the path and the query string."""
    for pattern, operation in _ROUTES:
        found = pattern.match(path)
        if found:
            return operation, {**query, **{name: unquote(v) for name, v in found.groupdict().items()}}
    return "", {}


def _size(params: dict[str, Any], largest: int) -> int:
    try:
        size = int(params.get("maxResults", 100))  # query strings carry numbers as text
    except ValueError:
        raise AwsError("ValidationException", "maxResults must be a number.") from None
    out_of_range("maxResults", size, 1, largest)
    return size


def _bad_token() -> AwsError:
    return AwsError("ValidationException", "The nextToken is not valid.")


def _paged(params: dict[str, Any], items: list[Any], largest: int) -> tuple[list[Any], dict[str, str]]:
    shown, token = page(items, params.get("nextToken"), _size(params, largest), _bad_token())
    return list(shown), {"nextToken": token} if token else {}


def _check_arn(check_id: str) -> str:
    return f"arn:aws:trustedadvisor:::check/{check_id}"


def _recommendation_id(account_id: str, check_id: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(f"{account_id}/{check_id}".encode()).digest()[:16]))


def _recommendation_arn(account_id: str, check_id: str) -> str:
    return f"arn:aws:trustedadvisor::{account_id}:recommendation/{_recommendation_id(account_id, check_id)}"


def _check(check: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": check["id"],
        "arn": _check_arn(check["id"]),
        "name": check["name"],
        "description": check["description"],
        "pillars": [check["category"]],  # the Support API's category names
        "awsServices": [],
        "source": "ta_check",
        "metadata": {str(i): heading for i, heading in enumerate(check["metadata"])},
    }


def _recommendation(call: Call, state: CheckState) -> dict[str, Any]:
    check, account_id = state.check, call.account.id
    counts = Counter(f.status for f in state.flagged)
    rendered = {
        "id": _recommendation_id(account_id, check["id"]),
        "type": "standard",
        "checkArn": _check_arn(check["id"]),
        "status": state.status,
        "pillars": [check["category"]],
        "source": "ta_check",
        "awsServices": [],
        "name": check["name"],
        "resourcesAggregates": {
            "okCount": state.ok_count,
            "warningCount": counts["warning"],
            "errorCount": counts["error"],
        },
        "createdAt": stamp(call.world.clock.epoch),
        "lastUpdatedAt": stamp(call.world.clock.time(state.changed_step)),
        "arn": _recommendation_arn(account_id, check["id"]),
    }
    if state.savings is not None:
        rendered["pillarSpecificAggregates"] = {
            "costOptimizing": {
                "estimatedMonthlySavings": float(state.savings),
                "estimatedPercentMonthlySavings": float(state.savings_percent),
            }
        }
    return rendered


class TrustedAdvisor:
    throttling = ("ThrottlingException", "Rate exceeded", 429)
    plan_refusal = ("AccessDeniedException", "You do not have access to Trusted Advisor recommendations.", 403)

    def __init__(self) -> None:
        self._excluded: set[str] = set()  # recommendation resource ARNs excluded (accepted risks)

    def operations(self) -> dict:
        return {
            "ListChecks": self.list_checks,
            "ListRecommendations": self.list_recommendations,
            "GetRecommendation": self.get_recommendation,
            "ListRecommendationResources": self.list_recommendation_resources,
            "BatchUpdateRecommendationResourceExclusion": self.batch_update_recommendation_resource_exclusion,
        }

    def batch_update_recommendation_resource_exclusion(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        errors = []
        for exclusion in params.get("recommendationResourceExclusions", []):
            arn = exclusion.get("arn", "")
            if f"::{call.account.id}:recommendation-resource/" not in arn:
                errors.append({"arn": arn, "errorCode": "404", "errorMessage": "Resource not found"})
            elif exclusion.get("isExcluded"):
                self._excluded.add(arn)
            else:
                self._excluded.discard(arn)
        return {"batchUpdateRecommendationResourceExclusionErrors": errors}

    def list_checks(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        checks = [
            c
            for c in CHECKS.values()
            if params.get("pillar") in (None, c["category"])
            and params.get("source") in (None, "ta_check")
            and "awsService" not in params  # no check names its services here
        ]
        shown, token = _paged(params, checks, 200)
        return {"checkSummaries": [_check(c) for c in shown], **token}

    def list_recommendations(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        after = time_parameter(params, "afterLastUpdatedAt", "ValidationException")
        before = time_parameter(params, "beforeLastUpdatedAt", "ValidationException")
        chosen = []
        for check in CHECKS.values():
            state = check_state(call, check)
            updated = call.world.clock.time(state.changed_step)
            if (
                params.get("type") in (None, "standard")
                and params.get("status") in (None, state.status)
                and params.get("pillar") in (None, check["category"])
                and params.get("source") in (None, "ta_check")
                and params.get("checkIdentifier") in (None, _check_arn(check["id"]))
                and (after is None or updated >= after)
                and (before is None or updated <= before)
            ):
                chosen.append(state)
        shown, token = _paged(params, chosen, 200)
        return {"recommendationSummaries": [_recommendation(call, s) for s in shown], **token}

    def get_recommendation(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        state = self._state(call, params.get("recommendationIdentifier", ""))
        return {"recommendation": {**_recommendation(call, state), "description": state.check["description"]}}

    def list_recommendation_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("recommendationIdentifier", "")
        state = self._state(call, arn)

        def resource_arn(finding) -> str:
            resource = resource_id(call.account.id, finding)
            return f"{arn.replace(':recommendation/', ':recommendation-resource/')}/{resource}"

        def exclusion(finding) -> str:
            return "excluded" if resource_arn(finding) in self._excluded else "included"

        flagged = [
            f
            for f in state.flagged
            if params.get("status") in (None, f.status)
            and params.get("exclusionStatus") in (None, exclusion(f))
            and params.get("regionCode") in (None, f.region)
        ]
        shown, token = _paged(params, flagged, 5000)
        headings = state.check["metadata"]
        resources = []
        for finding in shown:
            resource = resource_id(call.account.id, finding)
            resources.append(
                {
                    "id": resource,
                    "arn": resource_arn(finding),
                    "awsResourceId": finding.key,
                    "regionCode": finding.region,
                    "status": finding.status,
                    # Cells by position, as in the Support API's list; empty cells are left out of the map
                    "metadata": {
                        str(i): v for i, h in enumerate(headings) if (v := finding.metadata.get(h)) is not None
                    },
                    "lastUpdatedAt": stamp(call.world.clock.time(max(finding.appears, 0))),
                    "exclusionStatus": exclusion(finding),
                    "recommendationArn": arn,
                }
            )
        return {"recommendationResourceSummaries": resources, **token}

    def _state(self, call: Call, arn: str) -> CheckState:
        check = next((c for c in CHECKS.values() if _recommendation_arn(call.account.id, c["id"]) == arn), None)
        if check is None:  # another account's recommendation is not found either
            raise AwsError("ResourceNotFoundException", f"Recommendation {arn} was not found.", status=404)
        return check_state(call, check)
