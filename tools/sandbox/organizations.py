"""AWS Organizations in JSON 1.1 (``AWSOrganizationsV20161128.ListAccounts``): the world's one organisation."""

from typing import Any

from .api import AwsError, Call, out_of_range, page


class Organizations:
    throttling = ("TooManyRequestsException", "Rate exceeded", 400)
    plan_refusal = None

    def operations(self) -> dict:
        return {"ListAccounts": self.list_accounts}

    def list_accounts(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        world = call.world
        if call.account.id != world.management_account_id:
            raise AwsError("AccessDeniedException", "You don't have permissions to access this resource.")
        size = params.get("MaxResults", 20)
        out_of_range("MaxResults", size, 1, 20)
        bad_token = AwsError("InvalidInputException", "You specified an invalid value for nextToken.")
        shown, token = page(list(world.accounts.values()), params.get("NextToken"), size, bad_token)
        accounts = [
            {
                "Id": a.id,
                "Arn": f"arn:aws:organizations::{world.management_account_id}:account/{world.organization_id}/{a.id}",
                "Email": a.email,
                "Name": a.name,
                "State": a.state,  # `Status` retired in September 2026 (docs/aws.md#organizations)
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": a.joined,
            }
            for a in shown
        ]
        return {"Accounts": accounts, **({"NextToken": token} if token else {})}
