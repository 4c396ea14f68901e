"""AWS Health events, polled or pushed: a ticket per (event, account); scheduled changes become maintenance windows."""
