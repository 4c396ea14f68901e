"""People and roles: the custom user, the four roles as groups, sign-in adapters and MFA enforcement.

Its own app because every other app refers to users and roles, while `tickets` stays the core
that imports no other domain app.
"""
