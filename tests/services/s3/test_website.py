"""The S3 website endpoint: index and error documents, folder redirects, HTML error pages,
methods, hosts, object passthrough and conditional requests (boto3 to set up, plain HTTP to
read, as a browser would)."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import pytest

from tests.services.s3.conftest import unique_bucket_name
from tests.services.s3.website_support import Website, web_request


@pytest.fixture
def site(s3, server) -> Website:
    """A public website bucket with an index document at the root and in docs/, and an error
    document."""
    web = Website.new(s3, server, "web")
    web.put("index.html", "<h1>home</h1>")
    web.put("docs/index.html", "<h1>docs</h1>")
    web.put("docs/page.html", "<p>page</p>")
    web.put("style.css", "body{}", "text/css", CacheControl="max-age=60", Metadata={"build": "42"})
    web.put("error.html", "<h1>custom error</h1>")
    web.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "error.html"})
    web.make_public()
    return web


def assert_error_page(response, status: int, code: str, message: str, **fields: str) -> None:
    assert response.status == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "x-amz-request-id" in response.headers
    text = response.text
    assert f"<li>Code: {code}</li>" in text, text
    assert f"<li>Message: {message}</li>" in text, text
    for name, value in fields.items():
        assert f"<li>{name}: {value}</li>" in text, text
    assert "<li>RequestId: " in text and "<li>HostId: " in text


def test_root_and_folder_serve_their_index_document(site):
    root = site.get("/")
    assert (root.status, root.body) == (200, b"<h1>home</h1>")
    assert root.headers["content-type"] == "text/html"
    docs = site.get("/docs/")
    assert (docs.status, docs.body) == (200, b"<h1>docs</h1>")
    assert site.get("/docs/page.html").body == b"<p>page</p>"
    assert site.get("/index.html").body == b"<h1>home</h1>"


def test_object_headers_pass_through(site, s3):
    head = s3.head_object(Bucket=site.bucket, Key="style.css")
    response = site.get("/style.css")
    assert response.status == 200
    assert response.headers["content-type"] == "text/css"
    assert response.headers["etag"] == head["ETag"]
    assert parsedate_to_datetime(response.headers["last-modified"]) == head["LastModified"]
    assert response.headers["cache-control"] == "max-age=60"
    assert response.headers["x-amz-meta-build"] == "42"
    assert response.headers["content-length"] == "6"


def test_head_answers_headers_without_body(site):
    response = site.get("/", method="HEAD")
    assert response.status == 200
    assert response.body == b""
    assert response.headers["content-length"] == str(len("<h1>home</h1>"))
    assert response.headers["content-type"] == "text/html"
    missing = site.get("/missing", method="HEAD")
    assert (missing.status, missing.body) == (404, b"")


def test_folder_without_trailing_slash_redirects_302(site):
    response = site.get("/docs")
    assert response.status == 302
    assert response.headers["location"] == "/docs/"
    # No docs2/index.html: nothing to redirect to, so the error document answers.
    assert site.get("/docs2").status == 404


def test_missing_key_serves_error_document_with_404(site):
    response = site.get("/nope.html")
    assert response.status == 404
    assert response.body == b"<h1>custom error</h1>"
    assert response.headers["content-type"] == "text/html"
    assert response.headers["x-amz-error-code"] == "NoSuchKey"
    assert site.get("/docs/nope/").status == 404


def test_missing_key_without_error_document_is_aws_404_page(site):
    site.configure(IndexDocument={"Suffix": "index.html"})
    response = site.get("/nope.html")
    assert_error_page(response, 404, "NoSuchKey", "The specified key does not exist.", Key="nope.html")
    assert "<title>404 Not Found</title>" in response.text
    assert "Custom Error Document" not in response.text
    # A folder without an index names the key that was looked for.
    assert_error_page(site.get("/empty/"), 404, "NoSuchKey", "The specified key does not exist.",
                      Key="empty/index.html")


def test_missing_error_document_is_reported_on_the_page(site):
    site.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "gone.html"})
    response = site.get("/nope.html")
    assert_error_page(response, 404, "NoSuchKey", "The specified key does not exist.", Key="nope.html")
    text = response.text
    assert "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>" in text
    assert text.index("Key: nope.html") < text.index("Custom Error Document") < text.index("Key: gone.html")


def test_index_suffix_is_configurable(site):
    site.put("home.htm", "<p>home.htm</p>")
    site.configure(IndexDocument={"Suffix": "home.htm"})
    assert site.get("/").body == b"<p>home.htm</p>"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_get_and_head_are_allowed(site, method):
    response = site.get("/index.html", method=method)
    assert_error_page(response, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                      Method=method, ResourceType="OBJECT")
    assert site.s3.get_object(Bucket=site.bucket, Key="index.html")["Body"].read() == b"<h1>home</h1>"


def test_bucket_without_website_configuration(site, s3):
    s3.delete_bucket_website(Bucket=site.bucket)
    response = site.get("/")
    assert_error_page(response, 404, "NoSuchWebsiteConfiguration",
                      "The specified bucket does not have a website configuration", BucketName=site.bucket)


def test_bucket_that_does_not_exist(server):
    bucket = unique_bucket_name("nobucket")
    response = web_request(server.port, f"{bucket}.s3-website.localhost:{server.port}", "/")
    assert_error_page(response, 404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)


@pytest.mark.parametrize("host_form", ["{b}.s3-website-us-east-1.localhost:{p}", "{b}.s3-website.us-east-1.localhost:{p}",
                                       "{b}.s3-website.localhost", "{b}.s3-website-eu-west-1.amazonaws.com"])
def test_host_forms(site, host_form):
    host = host_form.format(b=site.bucket, p=site.server.port)
    response = site.get("/docs/", host=host)
    assert (response.status, response.body) == (200, b"<h1>docs</h1>")


def test_path_form(site, server):
    response = web_request(server.port, None, f"/_overcast/s3-website/{site.bucket}/docs/")
    assert (response.status, response.body) == (200, b"<h1>docs</h1>")
    root = web_request(server.port, None, f"/_overcast/s3-website/{site.bucket}/")
    assert root.body == b"<h1>home</h1>"
    folder = web_request(server.port, None, f"/_overcast/s3-website/{site.bucket}/docs")
    assert folder.status == 302
    assert folder.headers["location"] == f"/_overcast/s3-website/{site.bucket}/docs/"
    missing = web_request(server.port, None, f"/_overcast/s3-website/{site.bucket}/nope")
    assert (missing.status, missing.body) == (404, b"<h1>custom error</h1>")


def test_keys_are_percent_decoded(site):
    site.put("with space/ünïcode.html", "<p>decoded</p>")
    response = site.get("/with%20space/%C3%BCn%C3%AFcode.html")
    assert (response.status, response.body) == (200, b"<p>decoded</p>")


def test_object_website_redirect_location(site):
    site.put("old.html", "", WebsiteRedirectLocation="/docs/page.html")
    site.put("away.html", "", WebsiteRedirectLocation="https://example.com/elsewhere")
    response = site.get("/old.html")
    assert (response.status, response.headers["location"]) == (301, "/docs/page.html")
    assert site.get("/away.html").headers["location"] == "https://example.com/elsewhere"
    # An index document can redirect too.
    site.put("moved/index.html", "", WebsiteRedirectLocation="/docs/")
    assert site.get("/moved/").headers["location"] == "/docs/"


def test_if_none_match_answers_304(site):
    etag = site.get("/style.css").headers["etag"]
    response = site.get("/style.css", If_None_Match=etag)
    assert (response.status, response.body) == (304, b"")
    assert response.headers["etag"] == etag
    assert site.get("/style.css", If_None_Match='"other"').status == 200


def test_if_modified_since_answers_304(site):
    last_modified = site.get("/").headers["last-modified"]
    assert site.get("/", If_Modified_Since=last_modified).status == 304
    assert site.get("/", If_Modified_Since="Mon, 01 Jan 2001 00:00:00 GMT").status == 200


def test_if_match_failure_is_412_page(site):
    response = site.get("/style.css", If_Match='"nope"')
    assert_error_page(response, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")


def test_range_request(site):
    response = site.get("/style.css", Range="bytes=0-3")
    assert (response.status, response.body) == (206, b"body")
    assert response.headers["content-range"] == "bytes 0-3/6"


def test_error_document_keeps_its_own_content_type(site):
    site.put("404.json", json.dumps({"error": "not found"}), "application/json")
    site.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "404.json"})
    response = site.get("/missing")
    assert response.status == 404
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.body) == {"error": "not found"}


def test_path_form_without_a_bucket(server):
    response = web_request(server.port, None, "/_overcast/s3-website/")
    assert_error_page(response, 404, "NoSuchBucket", "The specified bucket does not exist")


def test_redirect_location_in_path_form_stays_in_the_path_form(site, server):
    site.put("old.html", "", WebsiteRedirectLocation="/docs/page.html")
    response = web_request(server.port, None, f"/_overcast/s3-website/{site.bucket}/old.html")
    assert (response.status, response.headers["location"]) == (
        301, f"/_overcast/s3-website/{site.bucket}/docs/page.html")


def test_unsatisfiable_range_is_416_page(site):
    response = site.get("/style.css", Range="bytes=100-200")
    assert_error_page(response, 416, "InvalidRange", "The requested range is not satisfiable")
    assert response.headers["content-range"] == "bytes */6"


def test_head_with_if_none_match_answers_304(site):
    etag = site.get("/style.css", method="HEAD").headers["etag"]
    assert site.get("/style.css", method="HEAD", If_None_Match=etag).status == 304


def test_an_archived_page_is_refused_until_restored(s3, server):
    # GetObject's refusal, on the website endpoint's terms: an HTML page with the error's status,
    # or the custom error document; a restored copy is served.
    web = Website.new(s3, server, "web")
    web.put("cold.html", "<p>cold</p>", StorageClass="GLACIER")
    web.configure(IndexDocument={"Suffix": "index.html"})
    web.make_public()
    assert_error_page(web.get("/cold.html"), 403, "InvalidObjectState",
                      "The operation is not valid for the object's storage class", StorageClass="GLACIER")
    assert web.get("/cold.html", method="HEAD").status == 403  # HEAD as GET
    web.put("error.html", "<h1>custom error</h1>")
    web.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "error.html"})
    response = web.get("/cold.html")
    assert (response.status, response.text) == (403, "<h1>custom error</h1>")
    s3.restore_object(Bucket=web.bucket, Key="cold.html", RestoreRequest={"Days": 1})
    response = web.get("/cold.html")
    assert (response.status, response.text) == (200, "<p>cold</p>")
    assert web.get("/cold.html", method="HEAD").status == 200
