"""Function names and references, read in-process: CreateFunction's pattern is narrower than the
one references are read with (the model's NamespacedFunctionName)."""

from __future__ import annotations

import pytest

from overcast.services.lambda_.errors import LambdaValidation
from overcast.services.lambda_.validation import check_function_name_for_create, parse_function_ref


@pytest.mark.parametrize("name", ["my.function", "f:$LATEST.PUBLISHED", "bad name", ""])
def test_create_refuses_what_only_references_may_hold(name):
    with pytest.raises(LambdaValidation) as excinfo:
        check_function_name_for_create(name)
    assert "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern" in str(
        excinfo.value.message)


def test_a_create_name_over_64_characters_is_a_length_error():
    with pytest.raises(LambdaValidation) as excinfo:
        check_function_name_for_create("f" * 65)
    assert str(excinfo.value.message).endswith("Member must have length less than or equal to 64")


@pytest.mark.parametrize("reference, expected", [
    ("my.function", ("my.function", None, None, None)),
    ("f:$LATEST.PUBLISHED", ("f", "$LATEST.PUBLISHED", None, None)),
    ("arn:aws:lambda:eusc-de-east-1:123456789012:function:f:live", ("f", "live", "123456789012", "eusc-de-east-1")),
    ("123456789012:function:f", ("f", None, "123456789012", None)),
])
def test_references_read_as_the_widest_model_pattern(reference, expected):
    ref = parse_function_ref(reference)
    assert (ref.name, ref.qualifier, ref.account, ref.region) == expected
