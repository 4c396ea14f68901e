"""AWS: the accounts Supportdesk watches, and (through the gateway in the awsgateway package, the only boto3
importer) what AWS says about them. Its own app because AWS is a boundary with its own models, tasks and failure
modes; it builds on tickets and notifications, never the other way round.

One Django app, split by domain into sub-packages rather than into apps: one app keeps its tables
(``integrations_*``) and its migration history as they are, with no rows to move and no migration to replay; the
domains are sub-packages with a contract between them (``.importlinter``, checked by ``make lint``), top to bottom:

    push (SNS, EventBridge) | cases (AWS Support cases)
    health (Health events; records the maintenance windows they announce) | alarms (CloudWatch alarms)
    findings (Trusted Advisor) | maintenance (windows, and which one covers a ticket)
    ticketing (where findings and events become tickets: tag routes, requester, queue)
    accounts (AwsAccount, PollRun, polls, organisation discovery)

Each sub-package has what it needs of models.py, services.py, selectors.py, views.py, forms.py, tasks.py and api/.
Models defined in a sub-package get the app label ``integrations``; ``models.py`` here imports them all so Django
finds them. Above the domains, this package's own modules put them together: ``urls.py``, ``admin.py``,
``tasks.py`` (where Celery finds every task, under its old name), and the account pages and the AWS panel on a
ticket page (``views.py``, ``selectors.py``, ``services.py``), which show several domains at once.
"""
