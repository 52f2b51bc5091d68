"""Client certificates and VPC links through boto3 and the AWS CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from tests.services.apigateway.conftest import mock_method, new_api
from tests.services.apigateway.test_control_plane import error_of

AWS = "/work/main/.venv/bin/aws"


def test_client_certificate_lifecycle(apigw):
    generated = apigw.generate_client_certificate(description="backend auth", tags={"team": "a"})
    assert generated["ResponseMetadata"]["HTTPStatusCode"] == 201
    certificate_id = generated["clientCertificateId"]
    try:
        pem = generated["pemEncodedCertificate"]
        certificate = x509.load_pem_x509_certificate(pem.encode())  # a real certificate
        lifetime = generated["expirationDate"] - generated["createdDate"]
        assert dt.timedelta(days=364) < lifetime <= dt.timedelta(days=365, seconds=1)
        assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == dt.timedelta(days=365)
        got = apigw.get_client_certificate(clientCertificateId=certificate_id)
        assert (got["description"], got["pemEncodedCertificate"], got["tags"]) == ("backend auth", pem, {"team": "a"})
        listed = [c["clientCertificateId"] for page in apigw.get_paginator("get_client_certificates").paginate()
                  for c in page["items"]]
        assert certificate_id in listed
        updated = apigw.update_client_certificate(clientCertificateId=certificate_id, patchOperations=[
            {"op": "replace", "path": "/description", "value": "renamed"}])
        assert updated["description"] == "renamed" and updated["pemEncodedCertificate"] == pem
        # a stage presents it to its HTTP backends
        api_id, root = new_api(apigw)
        mock_method(apigw, api_id, root)
        apigw.create_deployment(restApiId=api_id, stageName="dev")
        stage = apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
            {"op": "replace", "path": "/clientCertificateId", "value": certificate_id}])
        assert stage["clientCertificateId"] == certificate_id
        arn = f"arn:aws:apigateway:us-east-1::/clientcertificates/{certificate_id}"
        apigw.tag_resource(resourceArn=arn, tags={"env": "test"})
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"team": "a", "env": "test"}
    finally:
        deleted = apigw.delete_client_certificate(clientCertificateId=certificate_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(ClientError) as e:
        apigw.get_client_certificate(clientCertificateId=certificate_id)
    assert error_of(e)[0::2] == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        apigw.delete_client_certificate(clientCertificateId=certificate_id)
    assert error_of(e)[0::2] == ("NotFoundException", 404)


def test_vpc_link_pending_then_available(apigw):
    target = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/my-nlb/50dc6c495c0c9188"
    created = apigw.create_vpc_link(name="link", description="to the NLB", targetArns=[target], tags={"a": "1"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["status"] == "PENDING"
    link_id = created["id"]
    try:
        got = apigw.get_vpc_link(vpcLinkId=link_id)
        assert got["status"] == "AVAILABLE"
        assert (got["name"], got["targetArns"], got["tags"]) == ("link", [target], {"a": "1"})
        assert link_id in [link["id"] for page in apigw.get_paginator("get_vpc_links").paginate()
                           for link in page["items"]]
        updated = apigw.update_vpc_link(vpcLinkId=link_id, patchOperations=[
            {"op": "replace", "path": "/name", "value": "renamed"}])
        assert updated["name"] == "renamed" and updated["status"] == "AVAILABLE"
        with pytest.raises(ClientError) as e:
            apigw.update_vpc_link(vpcLinkId=link_id, patchOperations=[{"op": "replace", "path": "/name", "value": ""}])
        assert error_of(e)[0::2] == ("BadRequestException", 400)
        assert apigw.get_vpc_link(vpcLinkId=link_id)["name"] == "renamed"
    finally:
        assert apigw.delete_vpc_link(vpcLinkId=link_id)["ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(ClientError) as e:
        apigw.get_vpc_link(vpcLinkId=link_id)
    assert error_of(e)[0::2] == ("NotFoundException", 404)


def test_aws_cli_vpc_link_and_certificate(apigw, aws_cli_env):
    def cli(*args: str) -> dict:
        done = subprocess.run([AWS, "apigateway", *args], env=aws_cli_env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout) if done.stdout.strip() else {}

    link = cli("create-vpc-link", "--name", "cli-link", "--target-arns", "arn:aws:elasticloadbalancing:x")
    assert cli("get-vpc-link", "--vpc-link-id", link["id"])["status"] == "AVAILABLE"
    cli("delete-vpc-link", "--vpc-link-id", link["id"])
    certificate = cli("generate-client-certificate", "--description", "cli")
    assert certificate["pemEncodedCertificate"].startswith("-----BEGIN CERTIFICATE-----")
    cli("delete-client-certificate", "--client-certificate-id", certificate["clientCertificateId"])


def test_certificates_and_links_survive_kill9(fresh_server):
    from tests.conftest import make_client

    client = make_client("apigateway", fresh_server.endpoint_url)
    certificate = client.generate_client_certificate(description="kept")
    link = client.create_vpc_link(name="kept", targetArns=["arn:aws:elasticloadbalancing:x"])
    fresh_server.kill9()
    fresh_server.start()
    client = make_client("apigateway", fresh_server.endpoint_url)
    got = client.get_client_certificate(clientCertificateId=certificate["clientCertificateId"])
    assert got["pemEncodedCertificate"] == certificate["pemEncodedCertificate"]
    assert client.get_vpc_link(vpcLinkId=link["id"])["name"] == "kept"


def test_a_vpc_link_a_stage_serves_is_not_deleted_and_takes_one_target(apigw):
    """DeleteVpcLink while a deployed stage's integration goes through the link is AWS's
    BadRequestException naming [RESTApiId:Method:Resource:Stage] (quoted in klothoplatform/klotho#202,
    hashicorp/terraform#18392); the link goes once nothing deployed names it. A link has one target
    ("More than one target arn specified for vpc link.", hashicorp/terraform-provider-aws#2512)."""
    nlb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/nlb/{}"
    with pytest.raises(ClientError) as e:
        apigw.create_vpc_link(name="two", targetArns=[nlb.format(1), nlb.format(2)])
    assert error_of(e) == ("BadRequestException", "More than one target arn specified for vpc link.", 400)
    direct = apigw.create_vpc_link(name="direct", targetArns=[nlb.format(1)])["id"]
    for op in ("replace", "add"):
        with pytest.raises(ClientError) as e:
            apigw.update_vpc_link(vpcLinkId=direct, patchOperations=[
                {"op": op, "path": "/targetArns", "value": nlb.format(3)}])
        assert error_of(e) == ("BadRequestException", "Target arns are not allowed to be changed/added.", 400)
    assert apigw.get_vpc_link(vpcLinkId=direct)["targetArns"] == [nlb.format(1)]
    by_variable = apigw.create_vpc_link(name="by-variable", targetArns=[nlb.format(2)])["id"]
    api_id, root = new_api(apigw)
    for verb, connection in (("GET", direct), ("POST", "${stageVariables.link}")):
        apigw.put_method(restApiId=api_id, resourceId=root, httpMethod=verb, authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod=verb, type="HTTP_PROXY",
                              integrationHttpMethod=verb, uri="http://nlb.internal/", connectionType="VPC_LINK",
                              connectionId=connection)
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"link": by_variable})
    for link_id, verb in ((direct, "GET"), (by_variable, "POST")):
        with pytest.raises(ClientError) as e:
            apigw.delete_vpc_link(vpcLinkId=link_id)
        assert error_of(e) == ("BadRequestException", f"Cannot delete vpc link. Vpc link '{link_id}', is referenced in "
                               f"[{api_id}:{verb}:{root}:prod] in format of [RESTApiId:Method:Resource:Stage].", 400)
        assert apigw.get_vpc_link(vpcLinkId=link_id)["id"] == link_id
    apigw.delete_stage(restApiId=api_id, stageName="prod")
    for link_id in (direct, by_variable):
        apigw.delete_vpc_link(vpcLinkId=link_id)
