import boto3
from moto import mock_aws

from awsgateway import organizations
from awsgateway.organizations import MemberAccount


@mock_aws
def test_member_accounts_lists_every_page_with_its_state(access):
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    for n in range(25):  # more than one page of 20
        client.create_account(AccountName=f"member-{n}", Email=f"member{n}@example.com")

    members = list(organizations.member_accounts(access))

    names = {m.name for m in members}
    assert {f"member-{n}" for n in range(25)} <= names
    assert all(isinstance(m, MemberAccount) and len(m.account_id) == 12 for m in members)
    assert {m.state for m in members} == {"ACTIVE"}
