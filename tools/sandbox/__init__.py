"""A local stand-in for the AWS APIs Supportdesk reads: STS, Support (cases and Trusted Advisor), Health and
Organizations, spoken over HTTP in their real protocols, so the portal's boto3 code runs unchanged against it.

It is its own package, not part of the portal: it plays AWS, so the portal must never import it (the portal
reaches it only through ``AWS_ENDPOINT_URL``), and it imports nothing from the portal. ``make run`` starts it
with ``python -m tools.sandbox``; tests and benchmarks start it in a thread with ``server.serve``.
"""
