from awsgateway import support
from awsgateway.support import SeverityLevel, SupportService

from .helpers import stubbed


def test_severity_levels(monkeypatch, access):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_response(
            "describe_severity_levels",
            {"severityLevels": [{"code": "low", "name": "General guidance"}, {"code": "urgent", "name": "Down"}]},
            {"language": "en"},
        )
        levels = support.severity_levels(access)
    assert levels == [SeverityLevel("low", "General guidance"), SeverityLevel("urgent", "Down")]


def test_support_services_keep_categories(monkeypatch, access):
    response = {
        "services": [
            {
                "code": "amazon-ec2-linux",
                "name": "EC2 (Linux)",
                "categories": [{"code": "instance-issue", "name": "Instance Issue"}],
            },
            {"code": "billing", "name": "Billing", "categories": []},
        ]
    }
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_response("describe_services", response, {"language": "en"})
        services = support.support_services(access)
    assert services == [
        SupportService("amazon-ec2-linux", "EC2 (Linux)", (("instance-issue", "Instance Issue"),)),
        SupportService("billing", "Billing", ()),
    ]
