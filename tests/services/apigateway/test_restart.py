"""What API Gateway keeps across a restart: custom domains (found by the data plane before any
API call), invoke URLs, and usage counts."""

from __future__ import annotations

from tests.services.apigateway.conftest import mock_method, new_api
from tests.services.apigateway.test_domains import get


def test_custom_domain_and_invoke_urls_survive_restart(fresh_server):
    from tests.conftest import make_client
    from tests.services.apigateway.conftest import call

    client = make_client("apigateway", fresh_server.endpoint_url)
    api_id, root = new_api(client)
    mock_method(client, api_id, root, response_template='{"ok": true}')
    client.create_deployment(restApiId=api_id, stageName="prod")
    client.create_domain_name(domainName="kept.example.test")
    client.create_base_path_mapping(domainName="kept.example.test", restApiId=api_id, stage="prod")
    fresh_server.restart()
    # no API call first: the data plane finds the domain and the API on its own
    assert get(fresh_server, "kept.example.test", "/") == (200, b'{"ok": true}')
    assert call(fresh_server, api_id, "prod", "/").json() == {"ok": True}


def test_usage_counts_survive_a_clean_restart(fresh_server):
    import datetime as dt

    from tests.conftest import make_client
    from tests.services.apigateway.conftest import call

    client = make_client("apigateway", fresh_server.endpoint_url)
    api_id, root = new_api(client)
    mock_method(client, api_id, root, response_template="{}", apiKeyRequired=True)
    client.create_deployment(restApiId=api_id, stageName="prod")
    key = client.create_api_key(name="k", enabled=True)
    plan = client.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}],
                                    quota={"limit": 5, "period": "DAY"})
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    for _ in range(2):
        assert call(fresh_server, api_id, "prod", "/", headers={"x-api-key": key["value"]}).status == 200
    fresh_server.restart()
    client = make_client("apigateway", fresh_server.endpoint_url)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert client.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)["items"][key["id"]] == [[2, 3]]
