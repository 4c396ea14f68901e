"""The AWS gateway: the only package that imports boto3/botocore.

It returns dataclasses and raises ``AwsError`` subclasses, so callers never see botocore types.
"""
