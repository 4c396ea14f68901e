"""Slack in: the clicks on the buttons of Supportdesk's Slack messages and the /supportdesk command.

Its own app because it is a door into the portal, like the pages and the API, for people who are in Slack: it
checks Slack's signature, finds the portal user behind the Slack user, and calls the ticket services as that person.
It sits above escalation (it reads who is on call) and below rules; what goes out to Slack is notifications'.
"""
