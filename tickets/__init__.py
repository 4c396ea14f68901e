"""The core: tickets, severities, queues, comments, attachments and the append-only timeline."""
