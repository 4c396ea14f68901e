# The production image: gunicorn + whitenoise serve the portal; the same image runs the worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 supportdesk
# pg_dump and pg_restore for `manage.py backup` and `restore`, of the compose file's PostgreSQL major version: a pg_dump
# older than the server refuses to dump it
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client-15 && rm -rf /var/lib/apt/lists/*

# The locked runtime dependencies first: a layer that a change of code does not rebuild
COPY requirements/lock-runtime.txt requirements/
RUN pip install --require-hashes -r requirements/lock-runtime.txt
# Then the code, and the project itself (its packages are found, not listed: pyproject.toml)
COPY . .
RUN pip install --no-deps .
# collectstatic needs settings but no secrets or database
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R supportdesk /app/var

USER supportdesk
EXPOSE 8000
CMD ["gunicorn", "supportdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "supportdesk.gunicorn.SecretsRedactedLogger"]
