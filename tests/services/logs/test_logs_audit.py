"""CloudWatch Logs answers as AWS does: validation, PutLogEvents' time window, paging, tags.

Sources: the CloudWatch Logs API reference (PutLogEvents, RejectedLogEventsInfo,
DescribeLogGroups, FilterLogEvents, TagResource) and error texts that users quote from AWS.
"""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.support.raw_http import move_clock

DAY_MS = 86400 * 1000


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="module")
def logs_unchecked(client_factory):
    """Sends what it is given, so that the server's own validation answers."""
    return client_factory("logs", parameter_validation=False)


def group_name() -> str:
    return f"/audit/{uuid.uuid4().hex[:10]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def error_of(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as err:
        call(**params)
    response = err.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def group_with_stream(logs, stream: str = "s") -> str:
    group = group_name()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group


# -- validation: the model's constraints answer InvalidParameterException ----------------------------


def test_bad_log_group_name_is_invalid_parameter(logs):
    # Quoted from AWS in awslabs/aws-embedded-metrics-java#65.
    assert error_of(logs.create_log_group, logGroupName="service:latest") == (
        "InvalidParameterException",
        "1 validation error detected: Value 'service:latest' at 'logGroupName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", 400)


def test_describe_log_groups_limit_above_50(logs):
    assert error_of(logs.describe_log_groups, limit=51) == (
        "InvalidParameterException",
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 50", 400)


def test_describe_log_streams_unknown_order(logs_unchecked):
    group = group_with_stream(logs_unchecked)
    assert error_of(logs_unchecked.describe_log_streams, logGroupName=group, orderBy="Name") == (
        "InvalidParameterException",
        "1 validation error detected: Value 'Name' at 'orderBy' failed to satisfy constraint: "
        "Member must satisfy enum value set: [LogStreamName, LastEventTime]", 400)


def test_get_log_events_limit_above_10000(logs):
    group = group_with_stream(logs)
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="s", limit=10001) == (
        "InvalidParameterException",
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 10000", 400)


def test_empty_message_is_refused(logs_unchecked):
    group = group_with_stream(logs_unchecked)
    assert error_of(logs_unchecked.put_log_events, logGroupName=group, logStreamName="s",
                    logEvents=[{"timestamp": now_ms(), "message": ""}]) == (
        "InvalidParameterException",
        "1 validation error detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1", 400)


def test_garbage_next_tokens_are_invalid_parameters_not_crashes(logs):
    group = group_with_stream(logs)
    expected = ("InvalidParameterException", "The specified nextToken is invalid.", 400)
    assert error_of(logs.describe_log_groups, nextToken="not-a-token!") == expected
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="s", nextToken="xyz") == expected
    assert error_of(logs.filter_log_events, logGroupName=group, nextToken="xyz") == expected
    # Well formed but past what a position can be: refused the same way (was a 500).
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="s", nextToken="f/" + "9" * 56) == expected
    too_far = base64.urlsafe_b64encode(b"99999999999999999999:1").decode()
    assert error_of(logs.filter_log_events, logGroupName=group, nextToken=too_far) == expected


def test_delete_log_stream_of_a_missing_group(logs):
    assert error_of(logs.delete_log_stream, logGroupName=group_name(), logStreamName="s") == (
        "ResourceNotFoundException", "The specified log group does not exist.", 400)


# -- PutLogEvents' time window -----------------------------------------------------------------------


def test_batch_spanning_more_than_24_hours(logs):
    group = group_with_stream(logs)
    now = now_ms()
    # Quoted from AWS in aws-greengrass/aws-greengrass-log-manager#59.
    assert error_of(logs.put_log_events, logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - DAY_MS - 1, "message": "early"}, {"timestamp": now, "message": "late"}]) == (
        "InvalidParameterException",
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.", 400)
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []


def test_too_old_and_too_new_events_are_rejected_and_the_rest_kept(logs):
    group = group_with_stream(logs)
    now = now_ms()
    response = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - 3 * 3600 * 1000, "message": "kept 1"},
        {"timestamp": now, "message": "kept 2"},
        {"timestamp": now + 3 * 3600 * 1000, "message": "too new 1"},
        {"timestamp": now + 4 * 3600 * 1000, "message": "too new 2"}])
    assert response["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 2}
    messages = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s")["events"]]
    assert messages == ["kept 1", "kept 2"]

    old = now - 15 * DAY_MS
    response = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": old, "message": "too old 1"}, {"timestamp": old + 1, "message": "too old 2"}])
    assert response["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["firstEventTimestamp"] == now - 3 * 3600 * 1000 and stream["lastEventTimestamp"] == now
    # storedBytes: the messages' UTF-8 bytes and 26 bytes for each event, rejected ones not counted.
    assert stream["storedBytes"] == 2 * (6 + 26)


def test_events_older_than_the_retention_are_expired(logs):
    group = group_with_stream(logs)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    now = now_ms()
    response = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - DAY_MS - 10 * 60 * 1000, "message": "expired"},
        {"timestamp": now - 20 * 60 * 1000, "message": "kept"}])
    assert response["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    assert [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s")["events"]] == ["kept"]


def test_sequence_tokens_are_ignored(logs):
    group = group_with_stream(logs)
    response = logs.put_log_events(logGroupName=group, logStreamName="s", sequenceToken="49590000000000000",
                                   logEvents=[{"timestamp": now_ms(), "message": "m"}])
    assert "rejectedLogEventsInfo" not in response


def test_batch_larger_than_1_mib(logs):
    group = group_with_stream(logs)
    now = now_ms()
    events = [{"timestamp": now, "message": "x" * 500000}, {"timestamp": now, "message": "y" * 548551}]
    # 1,048,551 bytes of messages and 2 x 26 bytes; quoted from AWS in
    # nhs-england-tools/terraform-aws-opennext#27 and vectordotdev/vector#2394.
    assert error_of(logs.put_log_events, logGroupName=group, logStreamName="s", logEvents=events) == (
        "InvalidParameterException", "Upload too large: 1048603 bytes exceeds limit of 1048576", 400)
    events[1]["message"] = "y" * 548524  # exactly 1,048,576 bytes: accepted
    assert "rejectedLogEventsInfo" not in logs.put_log_events(logGroupName=group, logStreamName="s",
                                                               logEvents=events)


# -- GetLogEvents ---------------------------------------------------------------------------------


def test_get_log_events_pages_in_timestamp_order_and_ends_on_the_same_token(logs):
    group = group_with_stream(logs)
    now = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": "newer"}])
    # Arrives later with an older timestamp: reading from the head, it comes first.
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now - 1000, "message": "older"}])
    seen, token = [], None
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, limit=1,
                                   **({"nextToken": token} if token else {}))
        seen.extend(e["message"] for e in page["events"])
        if page["nextForwardToken"] == token:  # the end: AWS hands back the token it was given
            assert page["events"] == []
            break
        token = page["nextForwardToken"]
    assert seen == ["older", "newer"]
    back = logs.get_log_events(logGroupName=group, logStreamName="s", limit=1)
    assert [e["message"] for e in back["events"]] == ["newer"]
    earlier = logs.get_log_events(logGroupName=group, logStreamName="s", limit=1,
                                  nextToken=back["nextBackwardToken"])
    assert [e["message"] for e in earlier["events"]] == ["older"]


# -- FilterLogEvents ----------------------------------------------------------------------------------


def test_filter_pages_interleave_streams_in_timestamp_order(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group)
    for stream in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = now_ms()
    # Stream b's events arrive first but are newer: paging must still go in timestamp order.
    logs.put_log_events(logGroupName=group, logStreamName="b",
                        logEvents=[{"timestamp": now + 10 + i, "message": f"b{i}"} for i in range(3)])
    logs.put_log_events(logGroupName=group, logStreamName="a",
                        logEvents=[{"timestamp": now + i, "message": f"a{i}"} for i in range(3)])
    seen, token = [], None
    while True:
        page = logs.filter_log_events(logGroupName=group, limit=2, **({"nextToken": token} if token else {}))
        seen.extend(e["message"] for e in page["events"])
        token = page.get("nextToken")
        if not token:
            break
    assert seen == ["a0", "a1", "a2", "b0", "b1", "b2"]


def filtered(logs, group: str, pattern: str) -> list[str]:
    return [e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]]


def group_with_messages(logs, messages: list[str]) -> str:
    group = group_with_stream(logs)
    now = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
    return group


def test_json_filter_patterns(logs):
    # The user guide's "Filter and pattern syntax" examples.
    error = '{"level": "ERROR", "latency": 700, "user": {"id": 1}, "tags": ["a", "b"], "flag": true, "gone": null}'
    info = '{"level": "INFO", "latency": 20, "user": {"id": 2}, "tags": ["c"], "flag": false}'
    group = group_with_messages(logs, [error, info, "ERROR plain text", '{"level": "WARN"}'])
    assert filtered(logs, group, '{ $.level = "ERROR" }') == [error]
    assert filtered(logs, group, "{ $.level != ERR* }") == [info, '{"level": "WARN"}']
    assert filtered(logs, group, "{ $.latency >= 500 }") == [error]
    assert filtered(logs, group, "{ $.latency < 1e2 }") == [info]
    assert filtered(logs, group, "{ $.user.id = 2 || $.tags[1] = b }") == [error, info]
    assert filtered(logs, group, "{ ($.user.id = 1 || $.user.id = 2) && $.flag IS FALSE }") == [info]
    assert filtered(logs, group, "{ $.gone IS NULL }") == [error]
    assert filtered(logs, group, "{ $.latency NOT EXISTS }") == ['{"level": "WARN"}']
    # A selector that names an object or array matches neither = nor !=.
    assert filtered(logs, group, "{ $.user != 1 }") == []
    assert filtered(logs, group, "{ $.latency = * }") == [error, info]


def test_space_delimited_filter_patterns(logs):
    ok = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 200 1534'
    missing = '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /a.gif HTTP/1.0" 404 5324'
    group = group_with_messages(logs, [ok, missing, "ERROR message", "WARN message"])
    assert filtered(logs, group, "[ip, user, username, timestamp, request, status_code = 4*, bytes]") == [missing]
    assert filtered(logs, group, "[..., status_code, bytes > 2000]") == [missing]
    assert filtered(logs, group, "[ip, user, username, timestamp, request = *html*, status_code, bytes]") == [ok]
    assert filtered(logs, group, "[..., request = *.html*, status_code = 2*,]") == [ok]
    assert filtered(logs, group, "[w1 = ERROR || w1 = WARN, w2]") == ["ERROR message", "WARN message"]


def test_term_patterns_with_a_detached_minus(logs):
    group = group_with_messages(logs, ["[ERROR] A fatal exception", "Exiting with ERRORCODE: -1"])
    assert filtered(logs, group, '"ERROR" - "Exiting"') == ["[ERROR] A fatal exception"]
    # Quoted, a leading sign is text (the user guide: quoted terms are literal).
    assert filtered(logs, group, '"-1"') == ["Exiting with ERRORCODE: -1"]
    assert filtered(logs, group, '-"Exiting"') == ["[ERROR] A fatal exception"]


def test_regular_expressions_in_each_kind_of_pattern(logs):
    # The user guide's "Using regular expressions in filter patterns": %...% anywhere a term or a
    # value may stand.
    group = group_with_messages(logs, ["an ERROR here", "an ERRxOR", '{"b": "zabc"}', '{"b": "ab"}'])
    assert filtered(logs, group, "%ERR.R%") == ["an ERROR here"]
    assert filtered(logs, group, "-%ERR%") == ['{"b": "zabc"}', '{"b": "ab"}']
    assert filtered(logs, group, "{ $.b = %ab.% }") == ['{"b": "zabc"}']
    assert filtered(logs, group, "[w1, w2 = %^E.+R$%, w3]") == ["an ERROR here"]


def test_odd_patterns_and_messages_do_not_crash(logs):
    deep = "[" * 3000 + "]" * 3000
    windows_path = r'{"path": "C:\\Users"}'  # JSON for the text C:\Users
    group = group_with_messages(logs, [deep, windows_path])
    # A quoted value that is no JSON string (\U): unreadable here, so it filters nothing out
    # rather than refusing what AWS may read; before, a 500. A valid escape matches.
    assert len(filtered(logs, group, r'{ $.path = "C:\Users*" }')) == 2
    assert filtered(logs, group, r'{ $.path = "C:\\Users*" }') == [windows_path]
    assert len(filtered(logs, group, "{ " + "(" * 400 + "$.a = 1" + ")" * 400 + " }")) == 2  # past the stack
    assert filtered(logs, group, "{ $.a = 1 }") == []


@pytest.mark.parametrize("pattern, message", [
    # Both wordings as CloudWatch Logs gives them (quoted by users of the SDKs and awslogs).
    ("{ $.level = ", "If a filter pattern starts with '{' it must end with '}'"),
    ('{$.a = "x" && $.b = "y"} trailing', "If a filter pattern starts with '{' it must end with '}'"),
    ("{ $.level == 1 }", "Invalid filter pattern"),
    ("{ level = 1 }", "Invalid filter pattern"),
    ("{ ($.a = 1 }", "Invalid filter pattern"),
    ("{ $.a > high }", "Invalid filter pattern"),
    ("{ $.a IS MAYBE }", "Invalid filter pattern"),
    ("[ip, user, ..., ...]", "Invalid filter pattern"),
    ("[ip, status = ]", "Invalid filter pattern"),
])
def test_patterns_aws_cannot_read_are_refused(logs, pattern, message):
    group = group_with_messages(logs, ['{"level": 1}'])
    assert error_of(logs.filter_log_events, logGroupName=group, filterPattern=pattern) == \
        ("InvalidParameterException", message, 400)


def test_time_windows_follow_the_wall_clock_not_a_moved_server_clock(fresh_server):
    logs = make_client("logs", fresh_server.endpoint_url)
    group = group_with_stream(logs)
    move_clock(fresh_server.endpoint_url, {"advance": 15 * 86400})
    response = logs.put_log_events(logGroupName=group, logStreamName="s",
                                   logEvents=[{"timestamp": now_ms(), "message": "fresh"}])
    assert "rejectedLogEventsInfo" not in response
    assert [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s")["events"]] == ["fresh"]


def test_log_group_name_pattern_is_case_sensitive_and_answers_fewer_fields(logs):
    token = uuid.uuid4().hex[:8]
    logs.create_log_group(logGroupName=f"/audit/{token}DataLogs")
    logs.create_log_group(logGroupName=f"/audit/{token}datalogs")
    logs.put_retention_policy(logGroupName=f"/audit/{token}DataLogs", retentionInDays=7)
    found = logs.describe_log_groups(logGroupNamePattern=f"{token}DataLogs")["logGroups"]
    # API_DescribeLogGroups: a case-sensitive substring search. Its fields are those LocalStack's
    # AWS-validated test_describe_log_groups_with_pattern recorded (the reference names three).
    assert [sorted(g) for g in found] == [["arn", "creationTime", "logGroupArn", "logGroupClass", "logGroupName",
                                           "metricFilterCount"]]
    assert found[0]["logGroupName"] == f"/audit/{token}DataLogs"


# -- log group class and tags -------------------------------------------------------------------------


def test_log_group_class_is_kept_and_filters(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group, logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName=group + "-standard")
    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [(g["logGroupName"], g["logGroupClass"]) for g in found] == [
        (group, "INFREQUENT_ACCESS"), (group + "-standard", "STANDARD")]
    only = logs.describe_log_groups(logGroupNamePrefix=group, logGroupClass="INFREQUENT_ACCESS")["logGroups"]
    assert [g["logGroupName"] for g in only] == [group]


def test_tags_by_name_and_by_arn(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group, tags={"team": "a"})
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.tag_log_group(logGroupName=group, tags={"env": "dev"})
    logs.tag_resource(resourceArn=arn, tags={"team": "b", "cost": "1"})
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"team": "b", "env": "dev", "cost": "1"}
    logs.untag_resource(resourceArn=arn, tagKeys=["cost"])
    logs.untag_log_group(logGroupName=group, tags=["env"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "b"}


def test_tag_resource_past_50_tags_on_the_resource(logs):
    group = group_name()
    logs.create_log_group(logGroupName=group, tags={f"k{n:02d}": "v" for n in range(40)})
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    code, message, status = error_of(logs.tag_resource, resourceArn=arn,
                                     tags={f"n{n:02d}": "v" for n in range(11)})
    assert (code, message, status) == ("TooManyTagsException", "A resource can have no more than 50 tags.", 400)
    assert len(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == 40  # nothing of the refused call
    # Replacing values does not add tags: 40 + 10 new = 50 is allowed.
    logs.tag_resource(resourceArn=arn, tags={**{f"k{n:02d}": "w" for n in range(40)},
                                             **{f"n{n:02d}": "v" for n in range(10)}})
    tags = logs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert len(tags) == 50 and tags["k00"] == "w"


def test_tags_of_a_missing_group_and_the_starred_arn(logs):
    group = group_name()
    assert error_of(logs.list_tags_log_group, logGroupName=group) == (
        "ResourceNotFoundException", "The specified log group does not exist.", 400)
    logs.create_log_group(logGroupName=group)
    starred = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    # DescribeLogGroups' `arn` ends with ":*", which ListTagsForResource refuses (quoted from AWS
    # in gruntwork-io/cloud-nuke#1150).
    assert error_of(logs.list_tags_for_resource, resourceArn=starred) == (
        "ValidationException", "Invalid resourceArn", 400)


APACHE = ['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
          '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /about-us/index.html HTTP/1.0" 200 5324',
          '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 404 4355']


def test_metric_filter_patterns_are_tested_as_the_api_reference_shows(logs):
    # The API reference's TestMetricFilter examples: matches by their index in the request, with
    # the fields a space-delimited pattern extracts ("$name", or "$N" by position), none for terms.
    found = logs.test_metric_filter(filterPattern="[..., request=*.html*, status_code=4*,]",
                                    logEventMessages=APACHE)["matches"]
    assert found == [{"eventNumber": 0, "eventMessage": APACHE[0], "extractedValues": {
        "$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /index.html HTTP/1.0", "$status_code": "404", "$7": "1534"}}]
    every = logs.test_metric_filter(filterPattern="[]", logEventMessages=APACHE)["matches"]
    assert [m["eventNumber"] for m in every] == [0, 1, 2] and every[2]["extractedValues"]["$7"] == "4355"
    terms = logs.test_metric_filter(filterPattern='"about-us" 200', logEventMessages=APACHE)["matches"]
    assert terms == [{"eventNumber": 1, "eventMessage": APACHE[1], "extractedValues": {}}]
    assert error_of(logs.test_metric_filter, filterPattern="[ip, status = ]", logEventMessages=APACHE) == \
        ("InvalidParameterException", "Invalid filter pattern", 400)


def test_list_log_groups_matches_names_by_regular_expression_class_and_tags(logs):
    token = uuid.uuid4().hex[:8]
    names = [f"/aws/lambda/{token}-a", f"/aws/lambda/{token}-b", f"/app/{token}-api", f"/app/{token}-web"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    logs.tag_log_group(logGroupName=names[2], tags={"team": "api"})
    logs.tag_log_group(logGroupName=names[3], tags={"team": "web"})

    def listed(**params) -> list[str]:
        groups = logs.list_log_groups(**params)["logGroups"]
        return [g["logGroupName"] for g in groups if token in g["logGroupName"]]

    assert listed(logGroupNamePattern=f"^/aws/lambda/{token[:4]}") == names[:2]
    assert listed(logGroupNamePattern=f"{token}-api|{token}-b") == [names[2], names[1]]  # in name order
    assert listed(logGroupNamePattern=token, logGroupTags=[{"key": "team", "values": ["web"]}]) == [names[3]]
    assert listed(logGroupNamePattern=token, logGroupTags=[{"key": "team"}]) == names[2:]
    assert listed(logGroupNamePattern=token, logGroupClass="INFREQUENT_ACCESS") == []
    summary = logs.list_log_groups(logGroupNamePattern=f"{token}-web")["logGroups"]
    assert summary == [{"logGroupName": names[3], "logGroupClass": "STANDARD",
                        "logGroupArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{names[3]}"}]
    first = logs.list_log_groups(logGroupNamePattern=token, limit=3)
    rest = logs.list_log_groups(logGroupNamePattern=token, limit=3, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in first["logGroups"] + rest["logGroups"]] == sorted(names)
    assert "nextToken" not in rest
    for bad in ("!!!", "a"):
        assert error_of(logs.list_log_groups, nextToken=bad) == (
            "InvalidParameterException", "The specified nextToken is invalid.", 400)
    assert error_of(logs.list_log_groups, logGroupNamePattern="a b") == (
        "InvalidParameterException", "1 validation error detected: Value 'a b' at 'logGroupNamePattern' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "(\\^?[\\.\\-_\\/#A-Za-z0-9]{3,24})(\\|\\^?[\\.\\-_\\/#A-Za-z0-9]{3,24}){0,4}", 400)
