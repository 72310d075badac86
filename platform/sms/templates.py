"""SMS templates in Chinese. Variables: shop, time, place, deadline, case_number, link, amount."""

from __future__ import annotations

import string

TEMPLATES: dict[str, str] = {
    # On confirmation, first offence in the look-back window (exempt if corrected in time).
    "notice_exempt": (
        "【{sign}】{shop}负责人您好:{time}在{place}发现贵店存在跨门营业(出店经营)行为,"
        "案件编号{case_number}。请于{deadline}前自行改正,按期改正的首次违法行为不予处罚。"
        "证据查看:{link}"
    ),
    # On confirmation, repeat offence.
    "notice_penalty": (
        "【{sign}】{shop}负责人您好:{time}在{place}发现贵店存在跨门营业(出店经营)行为,"
        "案件编号{case_number}。贵店一年内再次违法,请于{deadline}前改正,本案将依法处罚。"
        "证据查看:{link}"
    ),
    # Verification failed: correct again.
    "rework": (
        "【{sign}】{shop}负责人您好:经复查,{place}的跨门营业问题仍未改正(案件编号{case_number}),"
        "请于{deadline}前改正。证据查看:{link}"
    ),
    # Fine decided, payment due.
    "penalty": (
        "【{sign}】{shop}负责人您好:案件{case_number}依法决定罚款{amount}元,请于{deadline}前"
        "在线缴纳,逾期每日按罚款数额3%加处罚款。详情:{link}"
    ),
}
VARIABLES = frozenset(
    {"sign", "shop", "time", "place", "deadline", "case_number", "link", "amount"}
)


def render(template: str, **values: str) -> str:
    """Fill a template by name; a missing variable is an error, never a blank in a real SMS."""
    text = TEMPLATES[template]
    needed = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    missing = needed - values.keys()
    if missing:
        raise KeyError(f"template {template!r} needs {', '.join(sorted(missing))}")
    return text.format(**values)
