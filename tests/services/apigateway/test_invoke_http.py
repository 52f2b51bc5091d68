"""HTTP and HTTP_PROXY integrations against a loopback backend started by the test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.services.apigateway.conftest import call, new_api


class Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        status = int(self.path.split("/status/")[1].split("?")[0]) if "/status/" in self.path else 200
        payload = json.dumps({"method": self.command, "path": self.path, "body": body,
                              "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "echo")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except BrokenPipeError:  # the gateway gave up waiting (the timeout test)
            pass

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def backend():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_proxy_greedy_path(apigw, server, backend):
    api_id, root = new_api(apigw)
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE",
                     requestParameters={"method.request.path.proxy": True})
    apigw.put_integration(restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="HTTP_PROXY",
                          integrationHttpMethod="ANY", uri=backend + "/api/{proxy}",
                          requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    answer = call(server, api_id, "dev", "/a/b?x=1", "POST", '{"k": 1}', {"Content-Type": "application/json",
                                                                          "X-Custom": "yes"})
    assert answer.status == 200
    assert answer.headers["x-backend"] == "echo"
    echoed = answer.json()
    assert echoed["method"] == "POST" and echoed["path"] == "/api/a/b?x=1"
    assert echoed["body"] == '{"k": 1}' and echoed["headers"]["x-custom"] == "yes"
    # API Gateway names its API to the backend, and hands the backend's transport headers back
    # renamed (LocalStack's AWS-validated test_http_integration_with_lambda and header remapping).
    assert echoed["headers"]["x-amzn-apigateway-api-id"] == api_id
    assert answer.headers["x-amzn-remapped-content-length"] == str(len(answer.body))
    assert "x-amzn-remapped-server" in answer.headers and "x-amzn-remapped-date" in answer.headers
    not_found = call(server, api_id, "dev", "/status/404")
    assert not_found.status == 404  # a proxy passes the backend's status through


def test_http_integration_with_templates_and_status_mapping(apigw, server, backend):
    api_id, root = new_api(apigw)
    item = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{code}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=item, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=item, httpMethod="POST", type="HTTP",
                          integrationHttpMethod="PUT", uri=backend + "/status/{code}",
                          requestParameters={"integration.request.path.code": "method.request.path.code",
                                             "integration.request.header.X-From": "'gateway'",
                                             "integration.request.querystring.q": "method.request.querystring.q"},
                          requestTemplates={"application/json": '{"wrapped": $input.json(\'$\')}'})
    for code in ("200", "400"):
        apigw.put_method_response(restApiId=api_id, resourceId=item, httpMethod="POST", statusCode=code)
    apigw.put_integration_response(restApiId=api_id, resourceId=item, httpMethod="POST", statusCode="200",
                                   responseTemplates={"application/json":
                                                      '{"sent": $input.json(\'$.body\'), "via": "$input.path(\'$.method\')", '
                                                      '"header": "$input.path(\'$.headers\').get(\'x-from\')"}'})
    apigw.put_integration_response(restApiId=api_id, resourceId=item, httpMethod="POST", statusCode="400",
                                   selectionPattern="4\\d{2}",
                                   responseTemplates={"application/json": '{"error": "backend said no"}'})
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    ok = call(server, api_id, "dev", "/200?q=z", "POST", '{"a": 1}', {"Content-Type": "application/json"})
    assert ok.status == 200
    assert ok.json() == {"sent": '{"wrapped": {"a":1}}', "via": "PUT", "header": "gateway"}
    denied = call(server, api_id, "dev", "/404", "POST", "{}", {"Content-Type": "application/json"})
    assert denied.status == 400 and denied.json() == {"error": "backend said no"}


def test_http_timeout_is_504(apigw, server, backend):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="HTTP_PROXY",
                          integrationHttpMethod="GET", uri=backend + "/slow", timeoutInMillis=200)
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    answer = call(server, api_id, "dev", "/")
    assert answer.status == 504
    assert answer.json() == {"message": "Endpoint request timed out"}


def test_request_override_from_template(apigw, server, backend):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    template = ('#set($context.requestOverride.header.X-Chosen = "by-template")'
                '#set($context.requestOverride.querystring.page = "2")'
                '{"empty": true}')
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="HTTP",
                          integrationHttpMethod="GET", uri=backend + "/echo",
                          requestTemplates={"application/json": template})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    echoed = call(server, api_id, "dev", "/").json()  # no response template: the backend's body passes through
    assert echoed["path"] == "/echo?page=2"
    assert echoed["headers"]["x-chosen"] == "by-template"
    # A non-proxy integration speaks to the backend as API Gateway, asking for JSON.
    assert echoed["headers"]["user-agent"] == f"AmazonAPIGateway_{api_id}"
    assert echoed["headers"]["accept"] == "application/json"
    assert echoed["headers"]["x-amzn-apigateway-api-id"] == api_id


def test_content_handling_binary_round_trip(apigw, server, backend):
    api_id, root = new_api(apigw, binaryMediaTypes=["application/octet-stream"])
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="HTTP",
                          integrationHttpMethod="POST", uri=backend + "/echo", contentHandling="CONVERT_TO_TEXT",
                          requestTemplates={"application/octet-stream": '{"data": "$input.body"}'})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200",
                                   responseTemplates={"application/json": "$input.path('$.body')"})
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    answer = call(server, api_id, "dev", "/", "POST", b"\x00\x01\xff", {"Content-Type": "application/octet-stream"})
    assert answer.status == 200
    assert json.loads(answer.body) == {"data": "AAH/"}
