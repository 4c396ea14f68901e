import pytest

from awsgateway.cloudwatch import console_url, region_code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("US East (N. Virginia)", "us-east-1"),  # what alarm messages say today
        ("Europe (Ireland)", "eu-west-1"),  # botocore's name
        ("EU (Ireland)", "eu-west-1"),  # the same region as older messages name it
        ("US - N. Virginia", "us-east-1"),  # older still
        ("Asia Pacific (Tokyo)", "ap-northeast-1"),
        ("us-west-2", "us-west-2"),  # a code is a code
        ("Atlantis", None),
        ("", None),
    ],
)
def test_region_names_in_alarm_messages_map_to_codes(name, code):
    assert region_code(name) == code


def test_the_console_link_encodes_the_alarm_name():
    assert console_url(region="eu-west-1", name="checkout degraded/p99 #2") == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#alarmsV2:alarm/checkout%20degraded%2Fp99%20%232"
    )
