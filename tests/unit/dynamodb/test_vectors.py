"""Vectors as the index keeps them: packed float32, read back as the shortest decimal that is
the same float32, and each distance function's score."""

from __future__ import annotations

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from overcast.services.dynamodb.vectors import as_attribute, float32_text, pack, unpack
from overcast.services.dynamodb.vectorsearch import _scorer

float32s = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(float32s)
def test_float32_text_reads_back_as_the_same_float32(number: float) -> None:
    text = float32_text(number)
    assert struct.unpack("<f", struct.pack("<f", float(text)))[0] == number
    assert len(text.replace("-", "").replace(".", "").split("E")[0].strip("0")) <= 9  # significant digits


def test_float32_text_is_short() -> None:
    assert [float32_text(n) for n in (0.0, 1.0, -2.5, 100.0)] == ["0", "1", "-2.5", "100"]
    pi = struct.unpack("<f", struct.pack("<f", math.pi))[0]
    assert float32_text(pi) == "3.1415927"
    assert float32_text(1e-30).endswith("E-30")


@given(st.lists(float32s, min_size=1, max_size=16))
def test_pack_round_trips(values: list[float]) -> None:
    assert unpack(pack(values)) == tuple(values)
    assert [float(e["N"]) for e in as_attribute(pack(values))["L"]] == [float(float32_text(v)) for v in values]


def test_scores() -> None:
    query = [1.0, 0.0, 0.0]
    cosine, dot, euclidean = (_scorer(name, query) for name in ("COSINE", "DOT_PRODUCT", "EUCLIDEAN"))
    assert cosine((2.0, 0.0, 0.0)) == 0.0 and cosine((0.0, 3.0, 0.0)) == 1.0 and cosine((-1.0, 0.0, 0.0)) == 2.0
    assert cosine((0.0, 0.0, 0.0)) == 1.0  # no direction
    assert dot((2.0, 5.0, 0.0)) == 2.0
    assert euclidean((1.0, 3.0, 4.0)) == 5.0
