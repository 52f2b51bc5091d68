"""Code signing configurations: stored and answered with Lambda's ARNs and defaults, attached to
functions, refused while in use, and Enforce refusing code (none that Overcast receives is signed)."""

from __future__ import annotations

import re

from tests.services.lambda_.helpers import ROLE, create_python, refused, unique, zip_of

SOURCE = "def handler(e, c):\n    return 1\n"
PROFILE = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/test/abcdefghij"
OTHER_PROFILE = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/other/klmnopqrst"
CSC_ARN = re.compile(r"arn:aws:lambda:us-east-1:000000000000:code-signing-config:(csc-[0-9a-f]{17})")
MISSING = "arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdef0"


def create(lam, policy: str | None = None, **extra) -> dict:
    params = {"AllowedPublishers": {"SigningProfileVersionArns": [PROFILE]}, **extra}
    if policy:
        params["CodeSigningPolicies"] = {"UntrustedArtifactOnDeployment": policy}
    created = lam.create_code_signing_config(**params)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    return created["CodeSigningConfig"]


def test_a_configuration_is_stored_with_lambdas_arn_and_defaults(lam):
    config = create(lam, Description="mine")
    match = CSC_ARN.fullmatch(config["CodeSigningConfigArn"])
    assert match and config["CodeSigningConfigId"] == match.group(1)
    assert (config["Description"], config["AllowedPublishers"], config["CodeSigningPolicies"]) == (
        "mine", {"SigningProfileVersionArns": [PROFILE]}, {"UntrustedArtifactOnDeployment": "Warn"})
    assert config["LastModified"].endswith("+0000")
    arn = config["CodeSigningConfigArn"]
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == config

    updated = lam.update_code_signing_config(
        CodeSigningConfigArn=arn, AllowedPublishers={"SigningProfileVersionArns": [PROFILE, OTHER_PROFILE]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})["CodeSigningConfig"]
    assert (updated["Description"], updated["AllowedPublishers"]["SigningProfileVersionArns"],
            updated["CodeSigningPolicies"]) == ("mine", [PROFILE, OTHER_PROFILE],
                                                {"UntrustedArtifactOnDeployment": "Enforce"})
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == updated

    second = create(lam)["CodeSigningConfigArn"]
    listed = [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]]
    assert listed.index(arn) < listed.index(second)
    page = lam.list_code_signing_configs(MaxItems=1)
    assert len(page["CodeSigningConfigs"]) == 1 and page["NextMarker"]

    deleted = lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    gone = ("ResourceNotFoundException", f"The Lambda code signing configuration {arn} can not be found.", 404)
    assert refused(lam.get_code_signing_config, CodeSigningConfigArn=arn) == gone
    assert refused(lam.update_code_signing_config, CodeSigningConfigArn=arn, Description="x") == gone
    assert refused(lam.delete_code_signing_config, CodeSigningConfigArn=arn) == gone
    assert refused(lam.list_functions_by_code_signing_config, CodeSigningConfigArn=arn) == gone


def test_functions_use_a_configuration(lam):
    arn = create(lam)["CodeSigningConfigArn"]
    name = create_python(lam, SOURCE)
    put = lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)
    assert (put["CodeSigningConfigArn"], put["FunctionName"]) == (arn, name)
    got = lam.get_function_code_signing_config(FunctionName=name)
    assert (got["CodeSigningConfigArn"], got["FunctionName"]) == (arn, name)
    # Created with one (Warn: unsigned code deploys, as on Lambda).
    other = create_python(lam, SOURCE, CodeSigningConfigArn=arn)
    assert lam.get_function_code_signing_config(FunctionName=other)["CodeSigningConfigArn"] == arn
    fn_arn = "arn:aws:lambda:us-east-1:000000000000:function"
    assert sorted(lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"]) == sorted(
        [f"{fn_arn}:{name}", f"{fn_arn}:{other}"])

    # A configuration in use cannot be deleted; nothing changes.
    code, _, status = refused(lam.delete_code_signing_config, CodeSigningConfigArn=arn)
    assert (code, status) == ("ResourceConflictException", 409)
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]["CodeSigningConfigArn"] == arn
    lam.delete_function_code_signing_config(FunctionName=name)
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == ""
    lam.delete_function(FunctionName=other)
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == []
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)


def test_a_missing_configuration_or_function(lam):
    name = create_python(lam, SOURCE)
    not_found = ("CodeSigningConfigNotFoundException", "The code signing configuration cannot be found. Check that "
                 f"the provided configuration is not deleted: {MISSING}.", 404)
    assert refused(lam.put_function_code_signing_config, FunctionName=name, CodeSigningConfigArn=MISSING) == \
        not_found
    new_name = unique()
    assert refused(lam.create_function, FunctionName=new_name, Runtime="python3.11", Role=ROLE,
                   Handler="lambda_function.handler", Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})},
                   CodeSigningConfigArn=MISSING) == not_found
    assert refused(lam.get_function, FunctionName=new_name)[0] == "ResourceNotFoundException"  # nothing created
    arn = create(lam)["CodeSigningConfigArn"]
    fn_arn = "arn:aws:lambda:us-east-1:000000000000:function:doesnotexist"
    assert refused(lam.put_function_code_signing_config, FunctionName="doesnotexist", CodeSigningConfigArn=arn) == (
        "ResourceNotFoundException", f"Function not found: {fn_arn}", 404)
    assert refused(lam.get_function_code_signing_config, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", f"Function not found: {fn_arn}", 404)


def test_enforce_refuses_code_that_is_not_signed(lam):
    arn = create(lam, "Enforce")["CodeSigningConfigArn"]
    name = unique()
    refusal = ("CodeVerificationFailedException", "Lambda cannot deploy the function. The function or layer might be "
               "signed using a signature that the client is not configured to accept. Check the provided signature "
               f"for {name}.", 400)
    assert refused(lam.create_function, FunctionName=name, Runtime="python3.11", Role=ROLE,
                   Handler="lambda_function.handler", Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})},
                   CodeSigningConfigArn=arn) == refusal
    assert refused(lam.get_function, FunctionName=name)[0] == "ResourceNotFoundException"

    # Attached afterwards, it holds back the next code.
    create_python(lam, SOURCE, name=name)
    sha = lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
    lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)
    assert refused(lam.update_function_code, FunctionName=name,
                   ZipFile=zip_of({"lambda_function.py": SOURCE + "# changed\n"})) == refusal
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == sha
    # Under Warn it goes through.
    lam.update_code_signing_config(CodeSigningConfigArn=arn,
                                   CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})
    changed = lam.update_function_code(FunctionName=name, ZipFile=zip_of({"lambda_function.py": SOURCE + "#\n"}))
    assert changed["CodeSha256"] != sha


def test_configurations_are_tagged(lam):
    arn = create(lam, Tags={"team": "a"})["CodeSigningConfigArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    lam.tag_resource(Resource=arn, Tags={"env": "dev"})
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "dev"}


def test_configurations_survive_kill_9(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    config = create(lam, "Enforce")
    name = create_python(lam, SOURCE)
    lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=config["CodeSigningConfigArn"])
    fresh_server.kill9()
    fresh_server.start()
    lam = make_client("lambda", fresh_server.endpoint_url)
    assert lam.get_code_signing_config(CodeSigningConfigArn=config["CodeSigningConfigArn"])["CodeSigningConfig"] == \
        config
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == \
        config["CodeSigningConfigArn"]
