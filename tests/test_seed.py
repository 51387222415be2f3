"""The course seed: read from RNN_COURSE_SEED, default 0, bad values refused clearly."""

import subprocess
import sys

import pytest

from rnn_helpers.seed import course_seed


def test_default_is_zero_and_the_variable_sets_it():
    assert course_seed({}) == 0
    assert course_seed({"RNN_COURSE_SEED": "7"}) == 7
    assert course_seed({"RNN_COURSE_SEED": " 3 "}) == 3


@pytest.mark.parametrize("text", ["abc", "1.5", "-2"])
def test_bad_values_name_the_variable(text):
    with pytest.raises(ValueError, match="RNN_COURSE_SEED"):
        course_seed({"RNN_COURSE_SEED": text})


def test_package_exposes_the_seed_from_the_environment():
    code = "import rnn_helpers; print(rnn_helpers.SEED)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"RNN_COURSE_SEED": "5", "PATH": ""}, check=True)
    assert out.stdout.strip() == "5"
