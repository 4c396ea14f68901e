from supportdesk.errors import DomainError


class ScimError(DomainError):
    """A SCIM request refused (RFC 7644 §3.12): the HTTP status and, for a 400 or 409, its scimType."""

    status = 400
    scim_type = "invalidValue"

    def __init__(self, message: str, *, scim_type: str | None = None) -> None:
        super().__init__(message)
        if scim_type:
            self.scim_type = scim_type


class ScimConflict(ScimError):
    status = 409
    scim_type = "uniqueness"


class ScimNotFound(ScimError):
    status = 404
    scim_type = ""
