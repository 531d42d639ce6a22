"""The unified social credit code (统一社会信用代码, GB 32100-2015): checked with python-stdnum, refused with the
reason in Chinese and English."""

from __future__ import annotations

from stdnum.cn import uscc as _uscc

from yangfan.errors import Issue, YangfanError

_ALPHABET = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
#: Registration authority codes (登记管理部门码): 1–9, and A, N, Y (GB 32100-2015 and the codes allotted since).
#: python-stdnum's own check takes digits only and would refuse a farmers' cooperative's N… code, so the
#: format is checked here and the library computes the check digit.
_AUTHORITIES = set("123456789ANY")


def compact(text: str) -> str:
    """The code as stored: spaces and hyphens removed, upper case."""
    return _uscc.compact(text)


def problem(text: str) -> tuple[str, str] | None:
    """Why ``text`` is not a valid credit code (zh, en), or None when it is one."""
    code = compact(text)
    if len(code) != 18:
        return (f"统一社会信用代码应为18位，实为{len(code)}位", f"a credit code has 18 characters, not {len(code)}")
    wrong = sorted(set(code) - _ALPHABET)
    if wrong:
        return (f"含有不允许的字符 {''.join(wrong)}（不使用 I、O、Z、S、V）",
                f"characters not allowed: {''.join(wrong)} (I, O, Z, S and V are never used)")
    if code[0] not in _AUTHORITIES:
        return (f"第1位登记管理部门码 {code[0]} 不存在", f"the registration authority code {code[0]} does not exist")
    if not code[2:8].isdigit():
        return ("第3–8位应为行政区划码（6位数字）", "characters 3–8 must be the 6-digit administrative division code")
    expected = _uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        return (f"校验码错误：第18位应为 {expected}，实为 {code[17]}",
                f"wrong check digit: the 18th character should be {expected}, not {code[17]}")
    return None


def check(text: str, field: str = "uscc") -> str:
    """The compact code, or a YangfanError saying why it is refused."""
    found = problem(text)
    if found is not None:
        raise YangfanError([Issue("registry.uscc", f"统一社会信用代码“{text}”无效：{found[0]}",
                                  f"credit code '{text}' is not valid: {found[1]}")])
    return compact(text)
