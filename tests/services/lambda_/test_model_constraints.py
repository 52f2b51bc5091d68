"""Lambda checks its input against the model's constraints before anything else: the members
its own checks do not cover (environment variable names, logging configuration, SnapStart,
Invoke's LogType) are refused with Coral's wording, and a refused request changes nothing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.lambda_.helpers import ROLE, create_python, error_of, invoke_json, refused, unique, zip_of

SOURCE = "import os\ndef handler(event, context):\n    return sorted(k for k in os.environ if k.startswith('MY'))\n"
ENV_NAME_RULE = ("1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
                 "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
                 "[a-zA-Z]([a-zA-Z0-9_])+]")


def one_error(value: str, path: str, constraint: str) -> tuple[str, str, int]:
    return ("ValidationException",
            f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}", 400)


def create_params(**overrides) -> dict:
    params = dict(FunctionName=unique(), Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                  Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})})
    params.update(overrides)
    return params


@pytest.mark.parametrize("variables", [{"A": "1"}, {"MY_OK": "1", "9LIVES": "1"}, {"MY-DASH": "1"}],
                         ids=["one-character", "leading-digit", "dash"])
def test_environment_variable_names_follow_the_model(lam, lam_unchecked, variables):
    # The map is sensitive in the model: the message leaves its value out.
    params = create_params(Environment={"Variables": variables})
    assert refused(lam_unchecked.create_function, **params) == ("ValidationException", ENV_NAME_RULE, 400)
    with pytest.raises(ClientError) as excinfo:
        lam.get_function(FunctionName=params["FunctionName"])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_a_refused_configuration_update_changes_nothing(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"MY_FIRST": "1"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert refused(lam_unchecked.update_function_configuration, FunctionName=name,
                   Environment={"Variables": {"MY_SECOND": "2", "X": "3"}}) == ("ValidationException", ENV_NAME_RULE, 400)
    assert lam.get_function_configuration(FunctionName=name)["Environment"] == {"Variables": {"MY_FIRST": "1"}}
    assert invoke_json(lam, name)[1] == ["MY_FIRST"]


@pytest.mark.parametrize("overrides, expected", [
    ({"LoggingConfig": {"LogFormat": "XML"}},
     one_error("XML", "loggingConfig.logFormat", "Member must satisfy enum value set: [JSON, Text]")),
    ({"LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "LOUD"}},
     one_error("LOUD", "loggingConfig.applicationLogLevel",
               "Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]")),
    ({"SnapStart": {"ApplyOn": "Always"}},
     one_error("Always", "snapStart.applyOn", "Member must satisfy enum value set: [PublishedVersions, None]")),
], ids=["log-format", "application-log-level", "snapstart"])
def test_create_refuses_enum_values_outside_the_model(lam_unchecked, overrides, expected):
    assert refused(lam_unchecked.create_function, **create_params(**overrides)) == expected


def test_invoke_refuses_an_unknown_log_type_before_running_anything(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    assert refused(lam_unchecked.invoke, FunctionName=name, LogType="Everything") == \
        one_error("Everything", "logType", "Member must satisfy enum value set: [None, Tail]")


def test_tags_want_a_function_arn_not_a_bare_name(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    code, message, status = refused(lam_unchecked.list_tags, Resource=name)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(f"1 validation error detected: Value '{name}' at 'resource' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: arn:")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"team": "data"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "data"}


@pytest.mark.parametrize("member, value, path, bound", [
    ("MemorySize", 40000, "memorySize", "less than or equal to 10240"),
    ("Timeout", 6000, "timeout", "less than or equal to 900"),
])
def test_function_limits_are_lambdas_not_the_models(lam_unchecked, member, value, path, bound):
    # The model allows more (32,768 MB, 5,400 s) for other kinds of compute; functions stop lower.
    assert refused(lam_unchecked.create_function, **create_params(**{member: value})) == one_error(
        str(value), path, f"Member must have value {bound}")


def test_a_name_only_the_wider_pattern_allows_is_not_found(lam, lam_unchecked):
    # GetFunction's model pattern allows a dot, which no function name can hold (CreateFunction's
    # refuses it): such a name is looked for and not found.
    code, message, status = refused(lam_unchecked.get_function, FunctionName="my.function")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Function not found: arn:aws:lambda:us-east-1:")
    assert message.endswith(":function:my.function")
    code, message, status = refused(lam_unchecked.create_function, **create_params(FunctionName="my.function"))
    assert (code, status) == ("ValidationException", 400)
    assert "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern" in message
