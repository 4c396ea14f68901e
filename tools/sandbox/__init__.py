"""A local stand-in for the AWS APIs Supportdesk uses: STS, Support (cases and Trusted Advisor), Health,
Organizations and End User Messaging SMS and Voice, spoken over HTTP in their real protocols, so the portal's boto3
code runs unchanged against it. Texts and calls land on its phone page (``/phone/``) rather than on a phone. It
also pushes: the demo's CloudWatch alarm fires and clears through signed SNS deliveries to the portal.

It is its own package, not part of the portal: it plays AWS, so the portal must never import it (the portal
reaches it only through ``AWS_ENDPOINT_URL``), and it imports nothing from the portal. ``make run`` starts it
with ``python -m tools.sandbox``; tests and benchmarks start it in a thread with ``server.serve``.
"""
