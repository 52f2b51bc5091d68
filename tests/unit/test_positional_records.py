"""Records that hot paths build with positional arguments (a keyword call costs several times
more in Python 3.11): their fields must keep this order, or those calls would silently put
values in the wrong fields. Changing a record's fields means changing its positional calls
(named below) and this list together."""

from __future__ import annotations

import dataclasses

import pytest

from overcast.protocol.sigv4 import SigV4Auth
from overcast.server.context import RequestContext
from overcast.services.s3.integrity import UploadIntegrity
from overcast.services.s3.models import StoredObject
from overcast.services.s3.versions import Outcome

ORDERS = [
    # services/s3/store.py and objects.py (put_object)
    (StoredObject, ["bucket", "key", "size", "etag", "last_modified", "headers", "checksum_algorithm",
                    "checksum_value", "storage_class", "body", "blob_id", "parts_count", "checksum_type",
                    "version_id", "delete_marker", "noncurrent"]),
    # services/s3/versions.py (tx_replace)
    (Outcome, ["previous_etag", "existed", "unlink", "version_id", "delete_marker", "versioning", "row_kept"]),
    # protocol/sigv4.py (_parse_header)
    (SigV4Auth, ["access_key", "date", "region", "service", "signed_headers", "signature", "amz_date", "expires",
                 "presigned", "security_token", "version", "algorithm", "malformed"]),
    # server/chain.py (handle)
    (RequestContext, ["request", "request_id", "account_id", "region", "service", "service_model", "operation",
                      "access_key", "auth", "anonymous", "extra"]),
    # services/s3/integrity.py (UploadIntegrity.from_request)
    (UploadIntegrity, ["content_md5", "content_sha256", "algorithm", "expected", "trailer", "stored_algorithm",
                       "checked", "_hasher", "_sha256", "_stored"]),
]


@pytest.mark.parametrize("record,order", ORDERS, ids=[record.__name__ for record, _ in ORDERS])
def test_field_order_of_records_built_positionally(record, order):
    assert [field.name for field in dataclasses.fields(record)] == order
