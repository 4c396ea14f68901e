"""AWS: the accounts Supportdesk watches, and (through the gateway in awsgateway, the only
boto3 importer) what AWS says about them. Its own app because AWS is a boundary with its own
models, tasks and failure modes; it builds on tickets, never the other way round."""
