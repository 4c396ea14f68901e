"""AWS Support cases opened from tickets, by a person, a rule or an escalation step, and kept in step with AWS."""
