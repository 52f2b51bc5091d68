"""Client certificates: a self-signed certificate API Gateway presents to HTTP backends, so they
can tell its calls apart. A stage names one in clientCertificateId.

The certificate is real (an RSA 2048 key, self-signed, PEM), generated with `cryptography`;
AWS's are valid for 365 days, and so are these. Only the certificate is kept, as AWS keeps the
private key to itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import compact, now, page
from overcast.services.apigateway.patch import apply_patch, check_ops
from overcast.services.apigateway.store import ApiGatewayStore, new_id

VALID_DAYS = 365


def certificate_not_found() -> errors.NotFound:
    return errors.NotFound("Invalid Client Certificate identifier specified")


def self_signed_pem(common_name: str, not_before: dt.datetime, not_after: dt.datetime) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(not_before)
                   .not_valid_after(not_after).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class ClientCertificateOps:
    store: ApiGatewayStore

    def client_certificate(self, ctx: RequestContext, certificate_id: str) -> dict[str, Any]:
        return errors.require(self.store.get("clientcertificate", ctx.account_id, ctx.region, certificate_id),
                              certificate_not_found)

    async def generate_client_certificate(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        created = now()
        start = dt.datetime.fromtimestamp(created, dt.UTC)
        end = start + dt.timedelta(days=VALID_DAYS)
        certificate_id = new_id(6)
        certificate = compact({
            "clientCertificateId": certificate_id, "description": params.get("description"),
            # A 2048-bit key takes ~80 ms to find: off the event loop, which every request shares.
            "pemEncodedCertificate": await asyncio.to_thread(self_signed_pem, f"apigateway-{certificate_id}", start,
                                                             end),
            "createdDate": created, "expirationDate": int(end.timestamp()), "tags": params.get("tags") or None,
        })
        await self.store.put("clientcertificate", ctx.account_id, ctx.region, certificate_id, certificate)
        return certificate

    def get_client_certificate(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self.client_certificate(ctx, params["clientCertificateId"])

    def get_client_certificates(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        certificates = sorted(self.store.list("clientcertificate", ctx.account_id, ctx.region),
                              key=lambda c: c["createdDate"])
        return page(certificates, params)

    async def update_client_certificate(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        certificate = dict(self.client_certificate(ctx, params["clientCertificateId"]))
        check_ops(params.get("patchOperations"), "updateClientCertificateInput")
        apply_patch(certificate, params.get("patchOperations"), {"description": "str"})
        await self.store.put("clientcertificate", ctx.account_id, ctx.region, certificate["clientCertificateId"],
                             certificate)
        return certificate

    async def delete_client_certificate(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        certificate = self.client_certificate(ctx, params["clientCertificateId"])
        await self.store.delete("clientcertificate", ctx.account_id, ctx.region, certificate["clientCertificateId"])
        return {}
