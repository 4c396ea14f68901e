import pytest
from django.core.exceptions import ValidationError

from integrations.models import AwsAccount

from ..factories import QueueFactory

pytestmark = pytest.mark.django_db


def account(**fields) -> AwsAccount:
    return AwsAccount(
        **{"account_id": "123456789012", "name": "Payments prod", "owner_queue": QueueFactory(), **fields}
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"account_id": "12345"}, "account_id", "exactly 12 digits"),
        ({"account_id": "12345678901a"}, "account_id", "exactly 12 digits"),
        ({"role_arn": "arn:aws:iam::123:role/x"}, "role_arn", "IAM role ARN"),
        ({"role_arn": "arn:aws:s3:::bucket"}, "role_arn", "IAM role ARN"),
        ({"regions": ["eu-west-1", "Frankfurt"]}, "regions", "region names"),
        ({"regions": "eu-west-1"}, "regions", "region names"),
        ({"regions": 3}, "regions", "region names"),
        ({"external_id": "abc"}, "external_id", "goes with an IAM role"),
        # Other partitions have their own endpoints, which Supportdesk does not call: refused, with the reason
        ({"role_arn": "arn:aws-cn:iam::123456789012:role/SupportdeskRead"}, "role_arn", "AWS China (aws-cn)"),
        ({"role_arn": "arn:aws-us-gov:iam::123456789012:role/SupportdeskRead"}, "role_arn", "commercial AWS"),
    ],
)
def test_account_record_says_what_is_wrong(fields, field, message):
    with pytest.raises(ValidationError) as error:
        account(**fields).full_clean()
    assert message in " ".join(error.value.message_dict[field])


def test_a_well_formed_account_validates():
    record = account(
        role_arn="arn:aws:iam::123456789012:role/SupportdeskRead",
        external_id="sd-7f3a",
        regions=["eu-west-1", "us-east-1"],
    )
    record.full_clean()
    assert record.support_api == "unknown"


def test_admins_can_register_an_account_in_the_admin(client, admin_user):
    queue = QueueFactory()
    client.force_login(admin_user)
    response = client.post(
        "/admin/integrations/awsaccount/add/",
        {
            "name": "Payments prod",
            "account_id": "123456789012",
            "environment": "production",
            "owner_queue": queue.pk,
            "enabled": "on",
            "support_plan": "business",
            "role_arn": "",
            "external_id": "",
            "regions": '["eu-west-1"]',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AwsAccount.objects.get().regions == ["eu-west-1"]


def test_the_admin_form_says_why_a_govcloud_role_is_refused(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/integrations/awsaccount/add/",
        {
            "name": "Gov",
            "account_id": "123456789012",
            "environment": "production",
            "owner_queue": QueueFactory().pk,
            "enabled": "on",
            "support_plan": "business",
            "external_id": "",
            "regions": "[]",
            "role_arn": "arn:aws-us-gov:iam::123456789012:role/SupportdeskRead",
        },
    )
    assert response.status_code == 200
    assert "AWS GovCloud (aws-us-gov)" in response.content.decode()
    assert not AwsAccount.objects.exists()
