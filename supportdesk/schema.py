"""The API schema's error answers, documented once for every operation (drf-spectacular postprocessing hook).

Each view documents its successes (and any error of its own, such as a 503); these are the answers any of them may
give, in the JSON that supportdesk.api's handlers write.
"""

from django.conf import settings

ERROR = {
    "type": "object",
    "description": "`detail` says what is wrong; a 400 may name each field instead, with its messages.",
    "properties": {"detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
    "additionalProperties": True,
}

_ALWAYS = {
    "401": "Not signed in: no session, or no valid `Authorization: Token <key>`.",
    "403": "Signed in, but not allowed to do this.",
    "406": "An Accept header this API cannot answer.",
}
_WITH_INPUT = {"400": "Bad input: the message names the field, or says what is wrong."}
_WITH_BODY = {"415": "A body that is not JSON."}
_WITH_PATH = {"404": "No such object, or one this user may not see."}
_THROTTLED = {"429": "Too many requests; try again after the time in Retry-After."}


def _errors_for(operation: dict) -> dict[str, str]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    errors = dict(_ALWAYS)
    if has_body or any(p["in"] == "query" for p in parameters):
        errors |= _WITH_INPUT
    if has_body:
        errors |= _WITH_BODY
    if any(p["in"] == "path" for p in parameters):
        errors |= _WITH_PATH
    if settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_CLASSES"):
        errors |= _THROTTLED
    return errors


def error_responses(result: dict, generator, request, public) -> dict:
    """Adds the errors an operation may answer to those its view documents (a view's own description wins)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:  # forms are read too, but cannot say null: JSON is the API's language
                operation["requestBody"]["content"] = {"application/json": body["application/json"]}
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":  # the filters and pages read an empty value as not given
                    parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            for code, description in _errors_for(operation).items():
                responses.setdefault(code, {"description": description, "content": reference})
    return result
