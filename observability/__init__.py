"""Observability: what Prometheus reads about the running portal and its workers (`/metrics`, each worker's own
metrics port), the counters behind it and who may read them.

Its own home because it reads across every app to report on them (the outbox, polls, tickets, SLA clocks, the
broker's queues) and so sits above them all, directly below the composition root; no app imports it (gunicorn's
configuration, supportdesk/gunicorn.py, uses its multiprocess housekeeping). The other apps stay unaware of being
measured: requests are counted by django-prometheus's middleware, queries by a wrapper on every database
connection, tasks by Celery's signals, and the rest is read from the database at scrape time.
"""
