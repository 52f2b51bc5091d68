"""The Authorization header's fields: what precedes the signature is read once per scope and
reused, so every request must still get its own signature and the same verdicts as before."""

from __future__ import annotations

from overcast.protocol import sigv4
from overcast.protocol.sigv4 import CREDENTIAL_MESSAGE
from overcast.server.http import Request, RequestBody

SCOPE = "Credential=AKID/20261124/us-west-2/sqs/aws4_request, SignedHeaders=host;x-amz-date"


def _auth(authorization: str, amz_date: str = "20261124T120000Z") -> sigv4.SigV4Auth:
    headers = {"host": "localhost", "authorization": authorization}
    if amz_date:
        headers["x-amz-date"] = amz_date
    request = Request(method="GET", path="/", query_string="", headers=headers, body=RequestBody.from_bytes(b""))
    auth = sigv4.parse_auth(request)
    assert auth is not None
    return auth


def test_requests_of_one_scope_keep_their_own_signatures() -> None:
    first = _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=" + "a" * 64)
    second = _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=" + "b" * 64, amz_date="20261124T120001Z")
    for auth in (first, second):
        assert (auth.access_key, auth.date, auth.region, auth.service) == ("AKID", "20261124", "us-west-2", "sqs")
        assert auth.signed_headers == ("host", "x-amz-date") and auth.malformed is None
    assert (first.signature, first.amz_date) == ("a" * 64, "20261124T120000Z")
    assert (second.signature, second.amz_date) == ("b" * 64, "20261124T120001Z")
    second.signed_headers += ("changed",)  # one request's auth is its own
    assert _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=c").signed_headers == ("host", "x-amz-date")


def test_trailing_whitespace_after_the_signature_is_dropped() -> None:
    assert _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=abc  ").signature == "abc"


def test_a_malformed_scope_stays_malformed_on_every_request() -> None:
    for signature in ("x", "y"):
        auth = _auth(f"AWS4-HMAC-SHA256 Credential=AKID/20261124/us-west-2, SignedHeaders=host, Signature={signature}")
        assert (auth.access_key, auth.signature, auth.malformed) == ("AKID", signature, CREDENTIAL_MESSAGE)


def test_missing_fields_and_date_are_reported() -> None:
    auth = _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=")
    assert auth.malformed == "Authorization header requires 'Signature' parameter."
    auth = _auth("AWS4-HMAC-SHA256 Credential=AKID/20261124/us-west-2/sqs/aws4_request, Signature=abc")
    assert auth.malformed == "Authorization header requires 'SignedHeaders' parameter."
    auth = _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=abc", amz_date="")
    assert auth.malformed == "AWS authentication requires a valid Date or x-amz-date header"


def test_fields_in_another_order_or_with_a_comma_in_the_signature() -> None:
    auth = _auth("AWS4-HMAC-SHA256 Signature=abc, SignedHeaders=host, "
                 "Credential=AKID/20261124/us-west-2/sqs/aws4_request")
    assert (auth.signature, auth.signed_headers, auth.service, auth.malformed) == ("abc", ("host",), "sqs", None)
    auth = _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=abc,def")
    assert auth.signature == "abc"
    auth = _auth(f"AWS4-HMAC-SHA256 {SCOPE}, Signature=first, Signature=second")
    assert auth.signature == "second"
