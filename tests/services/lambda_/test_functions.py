"""The function control plane through boto3, with AWS's errors."""

from __future__ import annotations

import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.services.lambda_.helpers import ROLE, create_python, unique, zip_of

SOURCE = "def handler(event, context):\n    return event\n"


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_list_delete(lam):
    name = unique()
    code = zip_of({"lambda_function.py": SOURCE})
    created = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE,
                                  Handler="lambda_function.handler", Code={"ZipFile": code},
                                  Description="d", Timeout=10, MemorySize=256,
                                  Environment={"Variables": {"AB": "1"}}, Tags={"team": "x"})
    assert created["State"] == "Pending"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["CodeSize"] == len(code)
    assert created["Version"] == "$LATEST" and created["Runtime"] == "python3.12"
    assert created["Environment"] == {"Variables": {"AB": "1"}}

    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert got["Tags"] == {"team": "x"}
    assert got["Code"]["RepositoryType"] == "S3"

    config = lam.get_function_configuration(FunctionName=name)
    assert config["MemorySize"] == 256 and config["Timeout"] == 10 and config["Description"] == "d"

    names = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate()
             for f in page["Functions"]]
    assert name in names

    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as excinfo:
        lam.get_function(FunctionName=name)
    assert error_of(excinfo) == ("ResourceNotFoundException",
                                 f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}", 404)


def test_code_location_downloads_the_zip(lam):
    code = zip_of({"lambda_function.py": SOURCE})
    name = unique()
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                        Code={"ZipFile": code})
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location) as resp:
        assert resp.read() == code


def test_list_functions_pages(lam):
    names = [create_python(lam, SOURCE, name=unique("page")) for _ in range(3)]
    first = lam.list_functions(MaxItems=2)
    assert len(first["Functions"]) == 2 and "NextMarker" in first
    seen = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
            for f in page["Functions"]]
    assert set(names) <= set(seen) and len(seen) == len(set(seen))


def test_create_twice_conflicts(lam):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        create_python(lam, SOURCE, name=name)
    assert error_of(excinfo) == ("ResourceConflictException", f"Function already exist: {name}", 409)


@pytest.mark.parametrize("overrides, code, message", [
    ({"Runtime": "python2.1"}, "InvalidParameterValueException", "Value python2.1 at 'runtime' failed to satisfy"),
    ({"Runtime": "python2.7"}, "InvalidParameterValueException",
     "The runtime parameter of python2.7 is no longer supported"),
    ({"MemorySize": 64}, "ValidationException",
     "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
     "Member must have value greater than or equal to 128"),
    ({"MemorySize": 20000}, "ValidationException", "Member must have value less than or equal to 10240"),
    ({"Timeout": 901}, "ValidationException",
     "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
     "Member must have value less than or equal to 900"),
    ({"Handler": "bad handler"}, "ValidationException", "at 'handler' failed to satisfy constraint"),
    ({"Role": "not-a-role"}, "ValidationException", "at 'role' failed to satisfy constraint"),
    ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException",
     "Reserved keys used in this request: AWS_REGION"),
    ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException",
     "exceeded the 4KB limit"),
])
def test_create_validation(lam_unchecked, overrides, code, message):
    params = dict(FunctionName=unique(), Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                  Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})})
    params.update(overrides)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.create_function(**params)
    got_code, got_message, status = error_of(excinfo)
    assert (got_code, status) == (code, 400)
    assert message in got_message


def test_bad_zip_and_bad_name(lam):
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(FunctionName=unique(), Runtime="python3.12", Role=ROLE, Handler="a.b",
                            Code={"ZipFile": b"not a zip"})
    assert error_of(excinfo) == ("InvalidParameterValueException",
                                 "Could not unzip uploaded file. Please check your file, then try to upload again.",
                                 400)
    with pytest.raises(ClientError) as excinfo:
        lam.get_function(FunctionName="bad name!")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert "at 'functionName' failed to satisfy constraint" in message


def test_update_code_and_configuration(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    before = lam.get_function_configuration(FunctionName=name)
    new_code = zip_of({"lambda_function.py": "def handler(e, c):\n    return 'v2'\n"})
    updated = lam.update_function_code(FunctionName=name, ZipFile=new_code)
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["CodeSha256"] != before["CodeSha256"] and updated["CodeSize"] == len(new_code)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful"

    conf = lam.update_function_configuration(FunctionName=name, MemorySize=512, Timeout=30,
                                             Environment={"Variables": {"KEY": "V"}}, Handler="lambda_function.handler",
                                             EphemeralStorage={"Size": 1024})
    assert conf["MemorySize"] == 512 and conf["Timeout"] == 30 and conf["EphemeralStorage"] == {"Size": 1024}
    assert conf["RevisionId"] != updated["RevisionId"]

    with pytest.raises(ClientError) as excinfo:
        lam.update_function_configuration(FunctionName=name, RevisionId="stale", Timeout=5)
    assert error_of(excinfo)[0] == "PreconditionFailedException"
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.update_function_configuration(FunctionName=name, Timeout=0)
    assert error_of(excinfo)[0] == "ValidationException"


def test_dead_letter_config_is_set_returned_and_cleared(lam):
    # Where failed asynchronous events go once retries and any on-failure destination are out
    # (SQS or SNS: delivered as those services arrive); an empty TargetArn removes it, as on AWS.
    queue = "arn:aws:sqs:us-east-1:000000000000:failed-events"
    name = unique()
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                        Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})},
                        DeadLetterConfig={"TargetArn": queue})
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": queue}
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    topic = "arn:aws:sns:us-east-1:000000000000:failed-events"
    assert lam.update_function_configuration(FunctionName=name,
                                             DeadLetterConfig={"TargetArn": topic})["DeadLetterConfig"] == {
        "TargetArn": topic}
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    cleared = lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in cleared or not cleared["DeadLetterConfig"].get("TargetArn")
    assert not lam.get_function_configuration(FunctionName=name).get("DeadLetterConfig", {}).get("TargetArn")


def test_update_missing_function(lam):
    with pytest.raises(ClientError) as excinfo:
        lam.update_function_code(FunctionName="does-not-exist", ZipFile=zip_of({"a.py": ""}))
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist", 404)


def test_code_from_s3(lam, s3):
    bucket = unique("code")
    s3.create_bucket(Bucket=bucket)
    code = zip_of({"lambda_function.py": "def handler(e, c):\n    return 's3 code'\n"})
    s3.put_object(Bucket=bucket, Key="fn.zip", Body=code)
    name = unique()
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="lambda_function.handler",
                        Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
    assert lam.get_function(FunctionName=name)["Configuration"]["CodeSize"] == len(code)
    response = lam.invoke(FunctionName=name)
    assert response["Payload"].read() == b'"s3 code"'
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(FunctionName=unique(), Runtime="python3.11", Role=ROLE,
                            Handler="lambda_function.handler", Code={"S3Bucket": bucket, "S3Key": "missing.zip"})
    code_, message, _ = error_of(excinfo)
    assert code_ == "InvalidParameterValueException"
    assert message.startswith("Error occurred while GetObject. S3 Error Code: NoSuchKey.")


def test_account_settings(lam):
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert settings["AccountUsage"]["FunctionCount"] >= 0


def test_unzipped_size_limit(lam):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("big.bin", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(251):
                f.write(chunk)
        archive.writestr("lambda_function.py", SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(FunctionName=unique(), Runtime="python3.12", Role=ROLE,
                            Handler="lambda_function.handler", Code={"ZipFile": buf.getvalue()})
    assert error_of(excinfo) == ("InvalidParameterValueException",
                                 "Unzipped size must be smaller than 262144000 bytes", 400)


def test_zip_over_50_mb_uploaded_directly_is_too_large(lam):
    import io
    import os
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("lambda_function.py", SOURCE)
        archive.writestr("noise.bin", os.urandom(50 * 1024 * 1024 + 4096))  # incompressible: the zip stays big
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE,
                            Handler="lambda_function.handler", Code={"ZipFile": buf.getvalue()})
    assert error_of(excinfo) == ("RequestEntityTooLargeException",
                                 "Request must be smaller than 69905067 bytes for the CreateFunction operation", 413)
    with pytest.raises(ClientError) as missing:
        lam.get_function(FunctionName=name)
    assert error_of(missing)[0] == "ResourceNotFoundException"
