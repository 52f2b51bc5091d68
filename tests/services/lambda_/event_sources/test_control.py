"""CreateEventSourceMapping and its siblings: answers, states, listing and AWS's refusals."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.services.lambda_.event_sources.support import recording_function, stream_table, unique, wait_state
from tests.services.lambda_.helpers import create_python, refused, wait_for

NOOP = "def handler(event, context):\n    return None\n"


@pytest.fixture
def source(lam, ddb):
    """(function name, stream ARN)."""
    _, stream = stream_table(ddb)
    return create_python(lam, NOOP), stream


def test_create_answers_creating_then_enabled(lam, source):
    function, stream = source
    created = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="TRIM_HORIZON")
    # The answer LocalStack's AWS-validated snapshots record for a DynamoDB stream mapping.
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    mapping_id = created["UUID"]
    uuid.UUID(mapping_id)
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"
    assert created["LastProcessingResult"] == "No records processed"
    assert created["BatchSize"] == 100
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["ParallelizationFactor"] == 1
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["TumblingWindowInSeconds"] == 0
    assert created["FunctionResponseTypes"] == []
    assert created["DestinationConfig"] == {"OnFailure": {}}
    assert created["StartingPosition"] == "TRIM_HORIZON"
    assert created["EventSourceArn"] == stream
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert created["EventSourceMappingArn"] == \
        f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{mapping_id}"
    assert isinstance(created["LastModified"], datetime)
    assert "FilterCriteria" not in created
    got = wait_state(lam, mapping_id, "Enabled")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in got.items() if k not in ("State", "ResponseMetadata")} == \
        {k: v for k, v in created.items() if k not in ("State", "ResponseMetadata")}


def test_settings_are_kept_and_updated(lam, source):
    function, stream = source
    pattern = json.dumps({"eventName": ["INSERT"]})
    created = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST", BatchSize=10000,
        MaximumBatchingWindowInSeconds=5, ParallelizationFactor=3, MaximumRetryAttempts=10000,
        MaximumRecordAgeInSeconds=3600, BisectBatchOnFunctionError=True, TumblingWindowInSeconds=60,
        FunctionResponseTypes=["ReportBatchItemFailures"], FilterCriteria={"Filters": [{"Pattern": pattern}]},
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}},
        Enabled=False, Tags={"team": "blue"})
    assert created["State"] == "Creating"
    assert (created["BatchSize"], created["MaximumBatchingWindowInSeconds"], created["ParallelizationFactor"],
            created["MaximumRetryAttempts"], created["MaximumRecordAgeInSeconds"],
            created["TumblingWindowInSeconds"]) == (10000, 5, 3, 10000, 3600, 60)
    assert created["BisectBatchOnFunctionError"] is True
    assert created["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert created["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert created["DestinationConfig"] == {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:dlq"}}
    mapping_id = created["UUID"]
    wait_state(lam, mapping_id, "Disabled")

    updated = lam.update_event_source_mapping(UUID=mapping_id, BatchSize=7, MaximumRetryAttempts=-1,
                                              FilterCriteria={"Filters": []})
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert updated["State"] == "Updating"
    assert updated["BatchSize"] == 7 and updated["MaximumRetryAttempts"] == -1
    assert "FilterCriteria" not in updated
    assert updated["LastModified"] >= created["LastModified"]
    wait_state(lam, mapping_id, "Disabled")

    enabling = lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    assert enabling["State"] == "Enabling"
    wait_state(lam, mapping_id, "Enabled")
    disabling = lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)
    assert disabling["State"] == "Disabling"
    final = wait_state(lam, mapping_id, "Disabled")
    assert final["BatchSize"] == 7 and final["ParallelizationFactor"] == 3

    deleted = lam.delete_event_source_mapping(UUID=mapping_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["State"] == "Deleting"
    assert deleted["UUID"] == mapping_id


def test_deleted_mapping_is_gone(lam, source):
    function, stream = source
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    lam.delete_event_source_mapping(UUID=mapping_id)

    def gone() -> bool:
        try:
            lam.get_event_source_mapping(UUID=mapping_id)
        except lam.exceptions.ResourceNotFoundException:
            return True
        return False

    wait_for(gone, timeout=30)
    assert lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"] == []
    # The same function and stream may be mapped again once the old mapping is gone.
    again = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                            StartingPosition="LATEST")
    assert again["UUID"] != mapping_id


def test_missing_uuid_is_refused_by_get_update_and_delete(lam):
    missing = str(uuid.uuid4())
    expected = ("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    assert refused(lam.get_event_source_mapping, UUID=missing) == expected
    assert refused(lam.update_event_source_mapping, UUID=missing, BatchSize=5) == expected
    assert refused(lam.delete_event_source_mapping, UUID=missing) == expected


def test_duplicate_mapping_is_refused_with_the_existing_uuid(lam, source):
    function, stream = source
    first = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                            StartingPosition="LATEST")
    # LocalStack's AWS-validated test_duplicate_event_source_mappings, word for word.
    assert refused(lam.create_event_source_mapping, FunctionName=function, EventSourceArn=stream,
                   StartingPosition="TRIM_HORIZON") == (
        "ResourceConflictException",
        f'The event source arn (" {stream} ") and function (" {function} ") provided mapping already exists. '
        f"Please update or delete the existing mapping with UUID {first['UUID']}", 409)
    assert len(lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]) == 1


def test_refusals_of_bad_input_change_nothing(lam, lam_unchecked, ddb, source):
    function, stream = source
    base = {"FunctionName": function, "EventSourceArn": stream}
    assert refused(lam.create_event_source_mapping, **base) == (
        "InvalidParameterValueException",
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
        "Member must not be null.", 400)
    # LocalStack's AWS-validated test_create_starting_position_validation_exceptions[dynamodb].
    assert refused(lam.create_event_source_mapping, **base, StartingPosition="AT_TIMESTAMP",
                   StartingPositionTimestamp=datetime(2024, 1, 1)) == (
        "InvalidParameterValueException", f"Unsupported starting position for arn type: {stream}", 400)
    assert refused(lam.create_event_source_mapping, **base, StartingPosition="TRIM_HORIZON",
                   StartingPositionTimestamp=datetime(2024, 1, 1)) == (
        "InvalidParameterValueException", "Timestamp only valid with StartingPosition AT_TIMESTAMP", 400)
    assert refused(lam_unchecked.create_event_source_mapping, **base, StartingPosition="0") == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'startingPosition' failed to satisfy constraint: Member must "
        "satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]", 400)
    assert refused(lam_unchecked.create_event_source_mapping, **base, StartingPosition="LATEST",
                   BatchSize=10001) == (
        "ValidationException",
        "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy constraint: Member must have "
        "value less than or equal to 10000", 400)
    assert refused(lam_unchecked.create_event_source_mapping, **base, StartingPosition="LATEST",
                   BatchSize=0) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have "
        "value greater than or equal to 1", 400)
    # LocalStack's AWS-validated test_dynamodb_invalid_event_filter.
    for pattern in ("single-string", '[{"eventName": ["INSERT"=123}]'):
        assert refused(lam.create_event_source_mapping, **base, StartingPosition="LATEST",
                       FilterCriteria={"Filters": [{"Pattern": pattern}]}) == (
            "InvalidParameterValueException", "Invalid filter pattern definition.", 400)
    # AWS's words, quoted in terraform-provider-aws #16113.
    age_message = ("InvalidParameterValueException",
                   "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)", 400)
    assert refused(lam.create_event_source_mapping, **base, StartingPosition="LATEST",
                   MaximumRecordAgeInSeconds=59) == age_message
    assert refused(lam.create_event_source_mapping, **base, StartingPosition="LATEST",
                   DestinationConfig={"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}}) == (
        "InvalidParameterValueException", "Unsupported DestinationConfig parameter for given event source mapping type.",
        400)
    # A missing function: AWS's words (terraform-provider-aws #22373, LocalStack's provider).
    assert refused(lam.create_event_source_mapping, FunctionName=unique("nope"), EventSourceArn=stream,
                   StartingPosition="LATEST") == ("InvalidParameterValueException", "Function does not exist", 400)
    assert refused(lam.create_event_source_mapping, FunctionName=f"{function}:nosuchalias", EventSourceArn=stream,
                   StartingPosition="LATEST") == ("InvalidParameterValueException", "Function does not exist", 400)
    missing_stream = stream.rsplit("/", 1)[0] + "/2020-01-01T00:00:00.000"
    assert refused(lam.create_event_source_mapping, FunctionName=function, EventSourceArn=missing_stream,
                   StartingPosition="LATEST") == (
        "InvalidParameterValueException", f"Stream not found: {missing_stream}", 400)
    bucket = "arn:aws:s3:::some-bucket"
    assert refused(lam.create_event_source_mapping, FunctionName=function, EventSourceArn=bucket,
                   StartingPosition="LATEST") == (
        "InvalidParameterValueException",
        f"Unrecognized event source, must be kinesis, dynamodb stream or sqs. Unsupported source arn : {bucket}", 400)
    assert lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"] == []

    mapping = lam.create_event_source_mapping(**base, StartingPosition="LATEST", BatchSize=3)
    assert refused(lam.update_event_source_mapping, UUID=mapping["UUID"], BatchSize=9,
                   FilterCriteria={"Filters": [{"Pattern": "[]"}]}) == (
        "InvalidParameterValueException", "Invalid filter pattern definition.", 400)
    assert refused(lam.update_event_source_mapping, UUID=mapping["UUID"], BatchSize=9,
                   FunctionName=unique("nope")) == ("InvalidParameterValueException", "Function does not exist", 400)
    assert refused(lam.update_event_source_mapping, UUID=mapping["UUID"], BatchSize=9,
                   MaximumRecordAgeInSeconds=0) == age_message
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["BatchSize"] == 3


def test_qualified_function_arn_and_alias(lam, source):
    function, stream = source
    version = lam.publish_version(FunctionName=function)["Version"]
    lam.create_alias(FunctionName=function, Name="live", FunctionVersion=version)
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    by_alias = lam.create_event_source_mapping(FunctionName=f"{function}:live", EventSourceArn=stream,
                                               StartingPosition="LATEST")
    assert by_alias["FunctionArn"] == f"{arn}:live"
    by_arn = lam.create_event_source_mapping(FunctionName=arn, EventSourceArn=stream, StartingPosition="LATEST")
    assert by_arn["FunctionArn"] == arn
    listed = lam.list_event_source_mappings(FunctionName=f"{function}:live")["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [by_alias["UUID"]]
    updated = lam.update_event_source_mapping(UUID=by_alias["UUID"], FunctionName=f"{function}:{version}")
    assert updated["FunctionArn"] == f"{arn}:{version}"


def test_list_filters_and_pages(lam, ddb):
    function = create_python(lam, NOOP)
    other = create_python(lam, NOOP)
    streams = [stream_table(ddb)[1] for _ in range(3)]
    ids = [lam.create_event_source_mapping(FunctionName=function, EventSourceArn=s,
                                           StartingPosition="LATEST")["UUID"] for s in streams]
    other_id = lam.create_event_source_mapping(FunctionName=other, EventSourceArn=streams[0],
                                               StartingPosition="LATEST")["UUID"]
    mine = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    assert [m["UUID"] for m in mine] == ids
    on_first = lam.list_event_source_mappings(EventSourceArn=streams[0])["EventSourceMappings"]
    assert sorted(m["UUID"] for m in on_first) == sorted([ids[0], other_id])
    both = lam.list_event_source_mappings(EventSourceArn=streams[0], FunctionName=other)["EventSourceMappings"]
    assert [m["UUID"] for m in both] == [other_id]
    assert lam.list_event_source_mappings(FunctionName=unique("nobody"))["EventSourceMappings"] == []

    first = lam.list_event_source_mappings(FunctionName=function, MaxItems=2)
    assert [m["UUID"] for m in first["EventSourceMappings"]] == ids[:2]
    second = lam.list_event_source_mappings(FunctionName=function, MaxItems=2, Marker=first["NextMarker"])
    assert [m["UUID"] for m in second["EventSourceMappings"]] == ids[2:]
    assert "NextMarker" not in second
    paged = [m["UUID"] for page in lam.get_paginator("list_event_source_mappings").paginate(
        FunctionName=function, PaginationConfig={"PageSize": 1}) for m in page["EventSourceMappings"]]
    assert paged == ids


def test_deleting_the_function_keeps_its_mappings(lam, source):
    # DeleteFunction leaves event source mappings to DeleteEventSourceMapping (its documentation);
    # the mapping reports the missing function when it next has records to hand over.
    function, stream = source
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    lam.delete_function(FunctionName=function)
    got = lam.get_event_source_mapping(UUID=mapping_id)
    assert got["State"] == "Enabled"
    assert got["FunctionArn"].endswith(f":function:{function}")
    assert [m["UUID"] for m in lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]] == \
        [mapping_id]


def test_created_with_the_aws_cli(lam, ddb, aws_cli_env):
    function, _ = recording_function(lam, ddb)
    _, stream = stream_table(ddb)
    env = aws_cli_env
    cli = str(Path(sys.executable).with_name("aws"))  # the AWS CLI installed beside the test's Python
    out = subprocess.run([cli, "lambda", "create-event-source-mapping", "--function-name", function,
                          "--event-source-arn", stream, "--starting-position", "TRIM_HORIZON", "--batch-size", "5",
                          "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert created["State"] == "Creating" and created["BatchSize"] == 5
    assert created["EventSourceArn"] == stream
    wait_state(lam, created["UUID"], "Enabled")
    out = subprocess.run([cli, "lambda", "list-event-source-mappings", "--function-name", function,
                          "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert [m["UUID"] for m in json.loads(out.stdout)["EventSourceMappings"]] == [created["UUID"]]


def test_tags_of_a_mapping(lam, source):
    function, stream = source
    created = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="LATEST", Tags={"team": "blue"})
    arn = created["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "blue"}
    lam.tag_resource(Resource=arn, Tags={"stage": "test"})
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"stage": "test"}
    function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert lam.list_tags(Resource=function_arn)["Tags"] == {}  # a function's own tags are apart


def test_sources_overcast_cannot_read_yet_and_missing_sources(lam, source):
    function, _ = source
    for arn in ("arn:aws:kinesis:us-east-1:000000000000:stream/orders",
                "arn:aws:sqs:us-east-1:000000000000:jobs"):
        code, message, status = refused(lam.create_event_source_mapping, FunctionName=function, EventSourceArn=arn,
                                        StartingPosition="LATEST")
        assert (code, status) == ("NotImplemented", 501)
        assert message.startswith("Overcast does not read ")
    # With neither an event source ARN nor a self-managed source.
    assert refused(lam.create_event_source_mapping, FunctionName=function) == (
        "InvalidParameterValueException", "Unrecognized event source.", 400)
    assert lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"] == []


def test_tags_of_a_missing_mapping_are_refused(lam):
    arn = f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{uuid.uuid4()}"
    expected = ("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    assert refused(lam.list_tags, Resource=arn) == expected
    assert refused(lam.tag_resource, Resource=arn, Tags={"a": "b"}) == expected
    assert refused(lam.untag_resource, Resource=arn, TagKeys=["a"]) == expected


def test_too_many_tags_on_a_mapping(lam, ddb, source):
    function, stream = source
    arn = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST",
                                          Tags={f"k{i}": "v" for i in range(50)})["EventSourceMappingArn"]
    # The function tag limit's words (LocalStack's AWS-validated test_tag_limits), for a mapping too.
    assert refused(lam.tag_resource, Resource=arn, Tags={"one-more": "v"}) == (
        "InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 50
    _, other_stream = stream_table(ddb)
    assert refused(lam.create_event_source_mapping, FunctionName=function, EventSourceArn=other_stream,
                   StartingPosition="LATEST", Tags={f"k{i}": "v" for i in range(51)}) == (
        "InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    assert lam.list_event_source_mappings(EventSourceArn=other_stream)["EventSourceMappings"] == []


def test_a_mapping_invokes_a_function_of_its_own_account_and_region_only(lam, source, server):
    """Another account's mapping naming this function by ARN (on create or update), or a
    function ARN of another Region, is refused as a missing function: its poller would have
    invoked a function its account has no hold on."""
    import boto3
    from botocore.config import Config

    function, stream = source
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    stranger = boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="222222222222", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))
    missing = ("InvalidParameterValueException", "Function does not exist", 400)
    assert refused(stranger.create_event_source_mapping, FunctionName=arn, EventSourceArn=stream,
                   StartingPosition="LATEST") == missing
    assert refused(lam.create_event_source_mapping, FunctionName=arn.replace("us-east-1", "eu-west-1"),
                   EventSourceArn=stream, StartingPosition="LATEST") == missing
    own = lam.create_event_source_mapping(FunctionName=arn, EventSourceArn=stream, StartingPosition="LATEST",
                                          Enabled=False)
    assert own["FunctionArn"] == arn
    lam.delete_event_source_mapping(UUID=own["UUID"])


def test_concurrent_creates_of_one_pair_make_one_mapping(lam, source):
    """Two mappings of one stream to one function would deliver every record twice: creates racing
    each other make one, and the rest meet AWS's duplicate conflict."""
    from concurrent.futures import ThreadPoolExecutor

    from botocore.exceptions import ClientError

    function, stream = source

    def create(_):
        try:
            return lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                   StartingPosition="LATEST", Enabled=False)["UUID"]
        except ClientError as error:
            return (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"])

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(create, range(6)))
    made = [answer for answer in answers if isinstance(answer, str)]
    assert len(made) == 1
    assert [answer for answer in answers if not isinstance(answer, str)] == [("ResourceConflictException", 409)] * 5
    listed = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    assert [mapping["UUID"] for mapping in listed] == made
    lam.delete_event_source_mapping(UUID=made[0])
