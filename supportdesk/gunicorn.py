"""gunicorn's access log without secrets: `gunicorn --logger-class supportdesk.gunicorn.SecretsRedactedLogger`."""

from gunicorn.glogging import Logger

from .logfilters import secrets_redacted


class SecretsRedactedLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        # Every atom: the request line, the path, the referer, any header or environ variable a format may name
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: secrets_redacted(value) if isinstance(value, str) else value for name, value in atoms.items()}
