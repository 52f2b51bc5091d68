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


def _keyed_api(server, quota: dict | None):
    """A deployed MOCK API that needs an API key, and a key in a usage plan on its stage."""
    from tests.conftest import make_client

    client = make_client("apigateway", server.endpoint_url)
    api_id, root = new_api(client)
    mock_method(client, api_id, root, response_template="{}", apiKeyRequired=True)
    client.create_deployment(restApiId=api_id, stageName="prod")
    key = client.create_api_key(name="k", enabled=True)
    plan_args = {"quota": quota} if quota else {}
    plan = client.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}], **plan_args)
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return api_id, key, plan


def _usage_today(server, plan_id: str, key_id: str) -> list[list[int]]:
    import datetime as dt

    from tests.conftest import make_client

    client = make_client("apigateway", server.endpoint_url)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return client.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)["items"][key_id]


def _wait_until_stored(server, plan_id: str, key_id: str, expected: int) -> None:
    """Counts are written behind the requests (usage_meter.FLUSH_INTERVAL): wait until the
    database holds them, with no clean shutdown, reading it as a second process would."""
    import sqlite3
    import time

    deadline = time.monotonic() + 10
    stored = None
    while time.monotonic() < deadline:
        with sqlite3.connect(server.data_dir / "overcast.db") as conn:
            row = conn.execute("SELECT used FROM apigateway_usage WHERE plan_id = ? AND key_id = ?",
                               (plan_id, key_id)).fetchone()
        stored = row and row[0]
        if stored == expected:
            return
        time.sleep(0.05)
    assert stored == expected


def test_quota_counts_survive_kill9_and_the_quota_stays_spent(fresh_server):
    from tests.services.apigateway.conftest import call

    api_id, key, plan = _keyed_api(fresh_server, {"limit": 3, "period": "DAY"})
    headers = {"x-api-key": key["value"]}
    for _ in range(3):
        assert call(fresh_server, api_id, "prod", "/", headers=headers).status == 200
    _wait_until_stored(fresh_server, plan["id"], key["id"], 3)
    fresh_server.kill9()
    fresh_server.start()
    assert _usage_today(fresh_server, plan["id"], key["id"]) == [[3, 0]]
    over = call(fresh_server, api_id, "prod", "/", headers=headers)
    assert over.status == 429
    assert over.json() == {"message": "Limit Exceeded"}


def test_update_usage_survives_kill9(fresh_server):
    from tests.conftest import make_client

    _, key, plan = _keyed_api(fresh_server, {"limit": 10, "period": "DAY"})
    client = make_client("apigateway", fresh_server.endpoint_url)
    client.update_usage(usagePlanId=plan["id"], keyId=key["id"],
                        patchOperations=[{"op": "replace", "path": f"/keys/{key['id']}/remaining", "value": "4"}])
    # an acknowledged UpdateUsage is written through: nothing to wait for
    fresh_server.kill9()
    fresh_server.start()
    assert _usage_today(fresh_server, plan["id"], key["id"]) == [[6, 4]]


def test_metered_counts_survive_kill9(fresh_server):
    from tests.services.apigateway.conftest import call

    api_id, key, plan = _keyed_api(fresh_server, None)
    for _ in range(4):
        assert call(fresh_server, api_id, "prod", "/", headers={"x-api-key": key["value"]}).status == 200
    _wait_until_stored(fresh_server, plan["id"], key["id"], 4)
    fresh_server.kill9()
    fresh_server.start()
    assert _usage_today(fresh_server, plan["id"], key["id"]) == [[4, 0]]
