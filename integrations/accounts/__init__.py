"""AWS accounts: how to reach each one, what AWS allows it, organisation discovery, and a record of every poll."""
