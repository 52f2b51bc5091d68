"""bench.paired end to end on two small servers: every round measured on both sides, in order,
and the summary's median taken from the rounds' ratios. It asserts no timing."""

from __future__ import annotations

import re

import pytest

from bench.paired import main


def test_rounds_alternate_and_the_median_comes_from_their_ratios(capsys) -> None:
    # Overcast without fsync stands in for the peer: the Python peers are not installed with the tests.
    assert main(["--peer", "overcast-nofsync", "--rounds", "3", "--slice", "40", "--warm", "10",
                 "--connections", "4"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [row.split("|")[1].strip() for row in rows] == ["1", "2", "3"]
    ratios = sorted(float(row.split("|")[4].strip().rstrip("x")) for row in rows)
    summary = re.search(r"median of the rounds' ratios: ([\d.]+)x \(range ([\d.]+)x-([\d.]+)x\)", out)
    assert summary is not None, out
    assert float(summary.group(1)) == ratios[1]
    assert (float(summary.group(2)), float(summary.group(3))) == (ratios[0], ratios[2])


def test_an_unknown_peer_is_refused_before_anything_starts() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--peer", "nonesuch"])
    assert exit_.value.code == 2


def test_rounds_must_be_at_least_one() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--peer", "overcast-nofsync", "--rounds", "0"])
    assert exit_.value.code == 2
