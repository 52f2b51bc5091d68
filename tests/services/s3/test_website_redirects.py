"""Website redirects: RedirectAllRequestsTo and RoutingRules (KeyPrefixEquals and
HttpErrorCodeReturnedEquals conditions; Protocol, HostName, ReplaceKeyPrefixWith,
ReplaceKeyWith and HttpRedirectCode), as AWS's website endpoint applies them."""

from __future__ import annotations

import pytest

from tests.services.s3.website_support import Website, web_request


@pytest.fixture
def site(s3, server) -> Website:
    web = Website.new(s3, server, "webredir")
    web.put("index.html", "<h1>home</h1>")
    web.put("docs/a.html", "<p>a</p>")
    web.put("documents/a.html", "<p>new a</p>")
    web.put("error.html", "<p>error</p>")
    web.make_public()
    return web


def with_rules(site: Website, *rules: dict) -> None:
    site.configure(IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "error.html"},
                   RoutingRules=list(rules))


def test_redirect_all_requests(site):
    site.configure(RedirectAllRequestsTo={"HostName": "www.example.com", "Protocol": "https"})
    response = site.get("/docs/a.html")
    assert response.status == 301
    assert response.headers["location"] == "https://www.example.com/docs/a.html"
    assert response.body == b""
    assert site.get("/").headers["location"] == "https://www.example.com/"


def test_redirect_all_requests_keeps_the_request_protocol_by_default(site):
    site.configure(RedirectAllRequestsTo={"HostName": "example.org"})
    assert site.get("/x").headers["location"] == "http://example.org/x"


def test_redirect_all_requests_applies_to_head(site):
    site.configure(RedirectAllRequestsTo={"HostName": "example.org"})
    response = site.get("/x", method="HEAD")
    assert (response.status, response.headers["location"]) == (301, "http://example.org/x")


def test_key_prefix_rule_replaces_the_prefix(site):
    with_rules(site, {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}})
    response = site.get("/docs/a.html")
    assert response.status == 301
    assert response.headers["location"] == f"http://{site.host}/documents/a.html"
    # The rule applies before the lookup, so keys that do not exist are redirected too.
    assert site.get("/docs/missing.html").headers["location"] == f"http://{site.host}/documents/missing.html"
    assert site.get("/index.html").status == 200


def test_replace_key_with(site):
    with_rules(site, {"Condition": {"KeyPrefixEquals": "old-page.html"}, "Redirect": {"ReplaceKeyWith": "index.html"}})
    response = site.get("/old-page.html")
    assert (response.status, response.headers["location"]) == (301, f"http://{site.host}/index.html")


def test_redirect_to_other_host_protocol_and_code(site):
    with_rules(site, {"Condition": {"KeyPrefixEquals": "docs/"},
                      "Redirect": {"HostName": "docs.example.com", "Protocol": "https", "HttpRedirectCode": "302",
                                   "ReplaceKeyPrefixWith": ""}})
    response = site.get("/docs/a.html")
    assert (response.status, response.headers["location"]) == (302, "https://docs.example.com/a.html")


def test_error_code_rule_applies_only_to_that_error(site):
    with_rules(site, {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
                      "Redirect": {"HostName": "fallback.example.com", "ReplaceKeyPrefixWith": "report-404/"}})
    response = site.get("/docs/missing.html")
    assert response.status == 301
    assert response.headers["location"] == "http://fallback.example.com/report-404/docs/missing.html"
    assert site.get("/docs/a.html").status == 200


def test_error_code_and_prefix_must_both_hold(site):
    with_rules(site, {"Condition": {"HttpErrorCodeReturnedEquals": "404", "KeyPrefixEquals": "docs/"},
                      "Redirect": {"ReplaceKeyPrefixWith": "documents/"}})
    assert site.get("/docs/missing.html").headers["location"] == f"http://{site.host}/documents/missing.html"
    assert site.get("/docs/a.html").status == 200  # exists: no error, no redirect
    other = site.get("/other/missing.html")
    assert (other.status, other.body) == (404, b"<p>error</p>")


def test_error_code_rule_for_403(site, s3):
    s3.delete_bucket_policy(Bucket=site.bucket)
    with_rules(site, {"Condition": {"HttpErrorCodeReturnedEquals": "403"},
                      "Redirect": {"HostName": "login.example.com", "ReplaceKeyWith": "login"}})
    response = site.get("/docs/a.html")
    assert (response.status, response.headers["location"]) == (301, "http://login.example.com/login")


def test_first_matching_rule_wins(site):
    with_rules(site,
               {"Condition": {"KeyPrefixEquals": "docs/a"}, "Redirect": {"ReplaceKeyWith": "first.html"}},
               {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyWith": "second.html"}})
    assert site.get("/docs/a.html").headers["location"].endswith("/first.html")
    assert site.get("/docs/b.html").headers["location"].endswith("/second.html")


def test_single_page_app_fallback_keeps_hash_prefix(site):
    with_rules(site, {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
                      "Redirect": {"HostName": "app.example.com", "ReplaceKeyPrefixWith": "#!/"}})
    assert site.get("/users/42").headers["location"] == "http://app.example.com/#!/users/42"


def test_rule_redirect_in_path_form_stays_in_the_path_form(site, server):
    with_rules(site, {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}})
    response = web_request(server.port, None, f"/_overcast/s3-website/{site.bucket}/docs/a.html")
    assert response.status == 301
    assert response.headers["location"] == (
        f"http://127.0.0.1:{server.port}/_overcast/s3-website/{site.bucket}/documents/a.html")
