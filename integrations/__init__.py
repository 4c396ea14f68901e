"""AWS accounts, findings and the AWS gateway (issue 4)."""
