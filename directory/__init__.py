"""The company directory: which of the identity provider's groups give which role and queues (applied at every SSO
sign-in), and SCIM 2.0 provisioning, through which the IdP creates, changes and deactivates people and groups at
once. It sits just above `tickets` in the layers: roles are `accounts`' groups and queue membership is `tickets`',
and one mapping decides both; `accounts` and `tickets` never import it (it hooks sign-in through allauth's signal)."""
