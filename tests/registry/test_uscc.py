"""Unified social credit codes (GB 32100-2015): known valid codes pass, every kind of wrong one is refused
with its reason."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from tests.conftest import ROOT
from yangfan.errors import YangfanError
from yangfan.registry.uscc import check, problem

#: Published codes of well-known organisations (their registration certificates).
VALID = ("91110000600037341L", "911100007109250324", "91440300708461136T", "91110108551385082Q")


@pytest.mark.parametrize("code", VALID)
def test_known_valid_codes_pass(code: str) -> None:
    assert problem(code) is None
    assert check(f" {code[:9]}-{code[9:]} ".lower()) == code  # spaces, hyphen and case are only presentation


@pytest.mark.parametrize(("code", "reason"), [
    ("91110000600037341X", "第18位应为 L"),  # check digit
    ("9111000060003734", "18位，实为16位"),  # length
    ("91110000I00037341L", "不允许的字符 I"),  # I, O, Z, S, V are not in the alphabet
    ("91110000600037341", "18位，实为17位"),
    ("B1110000600037341L", "登记管理部门码 B"),
    ("911A0000600037341L", "行政区划码"),
])
def test_wrong_codes_are_refused_with_the_reason(code: str, reason: str) -> None:
    found = problem(code)
    assert found is not None and reason in found[0] and found[1]
    with pytest.raises(YangfanError) as exc:
        check(code)
    assert exc.value.issues[0].code == "registry.uscc"


_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(st.sampled_from("123456789ANY"), st.sampled_from(_ALPHABET), st.from_regex(r"\A[0-9]{6}\Z"),
       st.text(alphabet=_ALPHABET, min_size=9, max_size=9))
def test_any_body_with_its_check_digit_is_valid_and_any_other_digit_is_not(authority: str, category: str,
                                                                            region: str, org: str) -> None:
    body = authority + category + region + org
    right = stdnum_uscc.calc_check_digit(body)
    assert problem(body + right) is None
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != right)
    assert problem(body + wrong) is not None


def test_cli_exits_zero_for_a_valid_code_and_non_zero_with_the_reason() -> None:
    cli = ROOT / ".venv" / "bin" / "yangfan"
    ok = subprocess.run([cli, "registry", "check-uscc", VALID[0]], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "有效" in ok.stdout
    bad = subprocess.run([cli, "registry", "check-uscc", "91110000600037341X"], capture_output=True, text=True,
                         check=False)
    assert bad.returncode != 0 and "校验码错误" in bad.stderr and "check digit" in bad.stderr
