"""Binary payloads through non-proxy integrations: the API's binaryMediaTypes and the
contentHandling of integrations and integration responses ("Content type conversions in API
Gateway"; the expectations are those LocalStack's AWS-validated TestApiGatewayS3BinarySupport
recorded against AWS, with a gzip body that is not UTF-8)."""

from __future__ import annotations

import base64
import gzip
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.services.apigateway.conftest import allow_apigateway, call, mock_method, new_api
from tests.services.lambda_.helpers import create_python

# A PNG's signature and header chunk: bytes that are not UTF-8 (0x89, 0x00s, 0xff...).
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       + bytes(range(256)))
GZIP = gzip.compress(b"compressed data, should be invalid UTF-8 string", mtime=1676569620)
ROLE = "arn:aws:iam::000000000000:role/apigateway-s3"


def s3_proxy_api(apigw, bucket: str, binary_types: list[str] | None = None, request_handling: str | None = None,
                 response_handling: str | None = None) -> str:
    """The S3 proxy tutorial's object method on ANY /{object_path+}: Content-Type mapped to S3 and
    back, response-content-type mapped to S3's query parameter."""
    api_id, root = new_api(apigw, **({"binaryMediaTypes": binary_types} if binary_types else {}))
    item = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{object_path+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=item, httpMethod="ANY", authorizationType="NONE",
                     requestParameters={"method.request.path.object_path": True,
                                        "method.request.header.Content-Type": False,
                                        "method.request.header.response-content-type": False})
    apigw.put_method_response(restApiId=api_id, resourceId=item, httpMethod="ANY", statusCode="200",
                              responseParameters={"method.response.header.Content-Type": False})
    apigw.put_integration(
        restApiId=api_id, resourceId=item, httpMethod="ANY", type="AWS", integrationHttpMethod="ANY",
        uri=f"arn:aws:apigateway:us-east-1:s3:path/{bucket}/{{object_path}}", credentials=ROLE,
        requestParameters={
            "integration.request.path.object_path": "method.request.path.object_path",
            "integration.request.header.Content-Type": "method.request.header.Content-Type",
            "integration.request.querystring.response-content-type": "method.request.header.response-content-type"},
        **({"contentHandling": request_handling} if request_handling else {}))
    apigw.put_integration_response(
        restApiId=api_id, resourceId=item, httpMethod="ANY", statusCode="200",
        responseParameters={"method.response.header.Content-Type": "integration.response.header.Content-Type"},
        **({"contentHandling": response_handling} if response_handling else {}))
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    return api_id


@pytest.fixture
def bucket(client_factory):
    s3 = client_factory("s3")
    name = f"apigw-bin-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return name


def test_image_round_trip_through_the_s3_proxy(apigw, client_factory, server, bucket):
    """The S3 proxy tutorial's image upload and download: with image/png among binaryMediaTypes the
    bytes reach S3 as sent and come back as stored."""
    s3 = client_factory("s3")
    api_id = s3_proxy_api(apigw, bucket, ["image/png"])
    put = call(server, api_id, "dev", "/images/pixel.png", "PUT", PNG, {"Content-Type": "image/png"})
    assert put.status == 200
    stored = s3.get_object(Bucket=bucket, Key="images/pixel.png")
    assert stored["Body"].read() == PNG and stored["ContentType"] == "image/png"

    got = call(server, api_id, "dev", "/images/pixel.png", headers={"Accept": "image/png"})
    assert got.status == 200 and got.body == PNG
    assert got.headers["content-type"] == "image/png"
    # Only the first type of Accept counts: a browser's list that starts with a text type gets text,
    # the binary payload base64-encoded.
    listed = call(server, api_id, "dev", "/images/pixel.png", headers={"Accept": "text/html,image/png"})
    assert listed.status == 200 and base64.b64decode(listed.body) == PNG

    # An object written with boto3 comes back whole too.
    s3.put_object(Bucket=bucket, Key="raw.gz", Body=GZIP, ContentType="image/png")
    assert call(server, api_id, "dev", "/raw.gz", headers={"Accept": "image/png"}).body == GZIP


def test_binary_upload_without_binary_media_types_is_read_as_text(apigw, client_factory, server, bucket):
    """Without a matching binaryMediaTypes entry the body is text: what is not UTF-8 becomes
    U+FFFD (AWS stored the 67-byte gzip as 99 bytes), and it is read back the same way."""
    s3 = client_factory("s3")
    api_id = s3_proxy_api(apigw, bucket)
    assert call(server, api_id, "dev", "/raw", "PUT", GZIP, {"Content-Type": "image/png"}).status == 200
    stored = s3.get_object(Bucket=bucket, Key="raw")["Body"].read()
    assert stored == GZIP.decode("utf-8", errors="replace").encode() and len(stored) == 99
    s3.put_object(Bucket=bucket, Key="raw", Body=GZIP)
    got = call(server, api_id, "dev", "/raw", headers={"Accept": "image/png"})
    assert got.status == 200 and got.body == GZIP.decode("utf-8", errors="replace").encode()


def test_request_convert_to_text_stores_base64(apigw, client_factory, server, bucket):
    s3 = client_factory("s3")
    api_id = s3_proxy_api(apigw, bucket, ["image/png"], request_handling="CONVERT_TO_TEXT")
    assert call(server, api_id, "dev", "/raw", "PUT", GZIP, {"Content-Type": "image/png"}).status == 200
    assert s3.get_object(Bucket=bucket, Key="raw")["Body"].read() == base64.b64encode(GZIP)
    # A text payload is left as it is.
    assert call(server, api_id, "dev", "/text", "PUT", "plain words", {"Content-Type": "text/plain"}).status == 200
    assert s3.get_object(Bucket=bucket, Key="text")["Body"].read() == b"plain words"


def test_request_convert_to_binary_decodes_text(apigw, client_factory, server, bucket):
    s3 = client_factory("s3")
    api_id = s3_proxy_api(apigw, bucket, ["image/png"], request_handling="CONVERT_TO_BINARY")
    encoded = base64.b64encode(GZIP)
    # A text payload is base64-decoded...
    assert call(server, api_id, "dev", "/decoded", "PUT", encoded, {"Content-Type": "text/plain"}).status == 200
    assert s3.get_object(Bucket=bucket, Key="decoded")["Body"].read() == GZIP
    # ...and one that is not base64 fails, with nothing written.
    failed = call(server, api_id, "dev", "/text", "PUT", "this is a UTF8 text typed object", {"Content-Type": "text/plain"})
    assert failed.status == 500 and failed.json() == {"message": "Internal server error"}
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="text")
    # A binary payload is already binary: it passes as sent, base64 or not.
    assert call(server, api_id, "dev", "/kept", "PUT", encoded, {"Content-Type": "image/png"}).status == 200
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == encoded


def test_request_convert_to_binary_with_a_matching_template_fails(apigw, client_factory, server, bucket):
    """A template cannot be given binary data: CONVERT_TO_BINARY with a request template for the
    request's type answers 500 (AWS-recorded), while a type without a template passes through."""
    s3 = client_factory("s3")
    api_id, root = new_api(apigw)
    item = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{key}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=item, httpMethod="PUT", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=item, httpMethod="PUT", type="AWS", integrationHttpMethod="PUT",
                          uri=f"arn:aws:apigateway:us-east-1:s3:path/{bucket}/{{key}}", credentials=ROLE,
                          contentHandling="CONVERT_TO_BINARY",
                          requestTemplates={"application/json": '{"data": "$input.body"}'})
    apigw.put_method_response(restApiId=api_id, resourceId=item, httpMethod="PUT", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=item, httpMethod="PUT", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    encoded = base64.b64encode(GZIP)
    assert call(server, api_id, "dev", "/k", "PUT", encoded, {"Content-Type": "image/png"}).status == 200
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == GZIP
    assert call(server, api_id, "dev", "/k", "PUT", encoded, {"Content-Type": "application/json"}).status == 500


@pytest.mark.parametrize("handling, expected", [
    # (payload Content-Type, Accept) -> the body AWS answered, None for a 500
    (None, {("binary/octet-stream", "image/png"): "raw", ("image/png", "image/png"): "encoded",
            ("binary/octet-stream", "text/plain"): "encoded", ("image/png", "text/plain"): "encoded-twice"}),
    ("CONVERT_TO_TEXT", {("binary/octet-stream", "image/png"): "encoded", ("image/png", "image/png"): "encoded-twice",
                         ("binary/octet-stream", "text/plain"): "encoded", ("image/png", "text/plain"): "encoded-twice"}),
    ("CONVERT_TO_BINARY", {("binary/octet-stream", "image/png"): "raw", ("image/png", "image/png"): "encoded",
                           ("binary/octet-stream", "text/plain"): "raw", ("image/png", "text/plain"): "encoded"}),
])
def test_response_conversions(apigw, client_factory, server, bucket, handling, expected):
    """An object holding base64 text, read with each payload type (S3's response-content-type)
    and Accept, under each integration response contentHandling."""
    s3 = client_factory("s3")
    encoded = base64.b64encode(GZIP)
    s3.put_object(Bucket=bucket, Key="encoded", Body=encoded)
    api_id = s3_proxy_api(apigw, bucket, ["image/png"], response_handling=handling)
    bodies = {"raw": GZIP, "encoded": encoded, "encoded-twice": base64.b64encode(encoded)}
    for (payload_type, accept), name in expected.items():
        got = call(server, api_id, "dev", "/encoded", headers={"Accept": accept, "response-content-type": payload_type})
        assert (got.status, got.body) == (200, bodies[name]), (payload_type, accept)
    # A text payload that is not base64, to be decoded for a binary Accept, is a 500.
    s3.put_object(Bucket=bucket, Key="text", Body=b"this is a UTF8 text typed object")
    got = call(server, api_id, "dev", "/text", headers={"Accept": "image/png"})
    assert got.status == (200 if handling == "CONVERT_TO_TEXT" else 500)


class Mirror(BaseHTTPRequestHandler):
    """Answers the bytes it was sent, as the type they were sent as."""

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", self.headers.get("Content-Type") or "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def mirror():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_integration_binary_round_trip(apigw, server, mirror):
    api_id, root = new_api(apigw, binaryMediaTypes=["application/octet-stream"])
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="POST", type="HTTP",
                          integrationHttpMethod="POST", uri=mirror + "/mirror")
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    binary = {"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"}
    got = call(server, api_id, "dev", "/", "POST", PNG, binary)
    assert got.status == 200 and got.body == PNG
    # Asked for JSON, the binary answer is base64 text.
    got = call(server, api_id, "dev", "/", "POST", PNG, {**binary, "Accept": "application/json"})
    assert got.status == 200 and base64.b64decode(got.body) == PNG
    # A text request and answer are untouched.
    got = call(server, api_id, "dev", "/", "POST", '{"a": "é"}', {"Content-Type": "application/json"})
    assert (got.status, got.body) == (200, '{"a": "é"}'.encode())


IMAGE_SOURCE = '''
import base64
def handler(event, context):
    return base64.b64encode(bytes(range(256))).decode()
'''


def test_convert_to_binary_decodes_a_lambda_result(apigw, client_factory, server):
    """A non-proxy Lambda function answers its image as a base64 string (a JSON string, quotes
    included); CONVERT_TO_BINARY on the integration response returns the image's bytes, as the
    Accept header's type."""
    lam = client_factory("lambda")
    name = create_python(lam, IMAGE_SOURCE, handler="lambda_function.handler")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
                                   contentHandling="CONVERT_TO_BINARY")
    allow_apigateway(lam, name, api_id, "dev/GET/")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    got = call(server, api_id, "dev", "/", headers={"Accept": "image/png"})
    assert got.status == 200 and got.body == bytes(range(256))
    assert got.headers["content-type"] == "image/png"


def test_binary_media_types_star_makes_every_accept_binary(apigw, server):
    """With */* every Accept asks for binary: a MOCK method's text answer is then to be
    base64-decoded, and its response template cannot be given binary, so AWS answers 500 (the
    re:Post report "API Gateway Mock Integration Fails with Binary Media Types */*"); a request
    that names no Accept still gets the templated text."""
    api_id, root = new_api(apigw, binaryMediaTypes=["*/*"])
    mock_method(apigw, api_id, root, response_template='{"ok": true}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    assert call(server, api_id, "dev", "/").json() == {"ok": True}
    failed = call(server, api_id, "dev", "/", headers={"Accept": "*/*"})
    assert failed.status == 500 and failed.json() == {"message": "Internal server error"}
