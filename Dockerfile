# The production image: gunicorn + whitenoise serve the portal; the same image runs the worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 supportdesk

COPY pyproject.toml README.md ./
COPY supportdesk supportdesk
COPY accounts accounts
COPY tickets tickets
COPY awsgateway awsgateway
COPY integrations integrations
COPY kpis kpis
RUN pip install .
COPY . .
# collectstatic needs settings but no secrets or database
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R supportdesk /app/var

USER supportdesk
EXPOSE 8000
CMD ["gunicorn", "supportdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "supportdesk.gunicorn.SecretsRedactedLogger"]
