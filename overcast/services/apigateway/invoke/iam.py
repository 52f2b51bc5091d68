"""AWS_IAM method authorization: the request must be signed with SigV4 (Authorization header or
presigned query), and the signature must be right when Overcast knows the access key's secret
(the server's configured credentials). A key it has no secret for is accepted unchecked, as the
rest of Overcast accepts it: there is no IAM to ask.

The errors are execute-api's: 403 Missing Authentication Token without a signature, 403
IncompleteSignatureException for an Authorization header that is not SigV4, and 403
InvalidSignatureException with the canonical string and string to sign AWS says it expected.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.protocol import sigv4
from overcast.protocol.errors import ServiceError
from overcast.services.apigateway.invoke.errors import GatewayError, missing_token

if TYPE_CHECKING:
    from overcast.server.http import Request
    from overcast.services.apigateway.invoke.gateway import Gateway
    from overcast.services.apigateway.invoke.pipeline import Invocation

_NOT_SIGV4 = ("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
              "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
              "existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}")


def invalid_signature(message: str, error_type: str = "InvalidSignatureException") -> GatewayError:
    return GatewayError("INVALID_SIGNATURE", 403, message, error_type=error_type)


def check_iam(gateway: Gateway, inv: Invocation, request: Request | None) -> None:
    """Raise the gateway error AWS answers when an AWS_IAM method's request is not signed right."""
    if request is None:  # TestInvokeMethod runs as the API's owner, unsigned
        return
    auth = sigv4.parse_auth(request)
    if auth is None:
        header = request.headers.get("authorization")
        if header:
            raise invalid_signature(_NOT_SIGV4.format(header=header), "IncompleteSignatureException")
        raise missing_token()
    identity = inv.context()["identity"]
    identity["accessKey"] = auth.access_key
    identity["accountId"] = identity["caller"] = sigv4.account_for_access_key(auth.access_key, inv.account)
    secret = gateway.provider.config.credential_map.get(auth.access_key)
    if secret is None:
        return  # a key Overcast has no secret for: accepted unchecked (see the module's docstring)
    try:
        sigv4.verify(request, auth, secret, time.time(), body=inv.body, service="execute-api",
                     presign_now=gateway.provider.clock.time())
    except ServiceError as exc:
        if exc.code == "SignatureDoesNotMatch":
            raise invalid_signature(_mismatch_message(request, auth, inv.body)) from None
        error_type = "IncompleteSignatureException" if exc.code.startswith("IncompleteSignature") else \
            "InvalidSignatureException"
        raise invalid_signature(exc.message, error_type) from None


def _mismatch_message(request: Request, auth: sigv4.SigV4Auth, body: bytes) -> str:
    """execute-api's answer to a wrong signature names what it expected to be signed."""
    uri = sigv4.canonical_uris(request.path, False)[0]
    query = sigv4.canonical_queries(request.query_string, auth.presigned)[0]
    payload = sigv4.payload_hash(request, auth, False, body)
    canonical = (f"{request.method.upper()}\n{uri}\n{query}\n"
                 f"{sigv4.canonical_headers(request.headers, auth.signed_headers)}\n"
                 f"{';'.join(auth.signed_headers)}\n{payload}")
    to_sign = sigv4.string_to_sign(auth, canonical)
    return (f"{sigv4.OTHER_SIGNATURE_MESSAGE}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n")
