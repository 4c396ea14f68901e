"""Email in: every queue's mailbox, and what each message that arrives there becomes.

Its own app because mail is a door into the portal like the pages, the API and Slack: a message becomes a ticket
or a comment by its sender, through the ticket services, under ``tickets.timeline.via("email")``. It takes mail from
three transports (SES through the SNS inbox, which ``integrations.push`` hands it; IMAP; a local Maildir) and
records each message once (``InboundEmail``). It sits above notifications (a polite refusal goes out through the
outbox, which reads each queue's reply address from here through ``settings.NOTICE_REPLY_TO``) and below
integrations.
"""
