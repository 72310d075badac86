"""SMS texts to merchants, and the case's exemption note that goes with them. Sent in Chinese
(``zh-CN``); the English is the reviewer's reading aid.

Variables: sign, shop, time, place, deadline, case_number, link, amount.
"""

from __future__ import annotations

import re

from streetorder.i18n.catalogue import Msg

MESSAGES: dict[str, Msg] = {
    # The case's exemption note (首违免罚), written once on confirmation, in Chinese.
    "exemption.disabled": Msg(
        "首违免罚未启用:适用处罚程序", "first-offence exemption is disabled: penalty path"
    ),
    "exemption.first": Msg(
        "{days}天内首次违法:在{deadline}前改正的不予处罚(首违免罚)",
        "first offence in {days} days: exempt if corrected by {deadline}",
    ),
    # ... on a notify_first street: the SMS's deadline is the grace period's end; after it the
    # squad is sent, and a correction within the work order's time limit is still exempt
    "exemption.first_notify": Msg(
        "{days}天内首次违法:在{deadline}前自行改正的不予处罚(首违免罚);逾期未改正的派遣中队处置,"
        "在工单时限({hours}小时)内改正的仍不予处罚",
        "first offence in {days} days: exempt if corrected by {deadline}; if not, the squad is "
        "sent, and a correction within the work order's {hours} h is still exempt",
    ),
    "exemption.latest": Msg("(最近一次{at})", " (latest {at})"),
    "exemption.repeat": Msg(
        "再次违法:近{days}天内已确认违法{count}次{latest}:适用处罚程序",
        "repeat offence: {count} confirmed violation(s) in the last {days} days{latest}: "
        "penalty path",
    ),
    "exemption.escalated": Msg(
        "首次违法未在{deadline}前改正:转入处罚程序",
        "first offence not corrected by {deadline}: moved to the penalty path",
    ),
    # On confirmation, first offence in the look-back window (exempt if corrected in time).
    "sms_text.notice_exempt": Msg(
        "【{sign}】{shop}负责人您好:{time}在{place}发现贵店存在跨门营业(出店经营)行为,"
        "案件编号{case_number}。请于{deadline}前自行改正,按期改正的首次违法行为不予处罚。"
        "证据查看:{link}",
        "[{sign}] Dear person responsible for {shop}: at {time} out-of-shop trading by your shop "
        "was found at {place}, case {case_number}. Please correct it by {deadline}; a first "
        "offence corrected in time is not fined. Evidence: {link}",
    ),
    # On confirmation, repeat offence.
    "sms_text.notice_penalty": Msg(
        "【{sign}】{shop}负责人您好:{time}在{place}发现贵店存在跨门营业(出店经营)行为,"
        "案件编号{case_number}。贵店一年内再次违法,请于{deadline}前改正,本案将依法处罚。"
        "证据查看:{link}",
        "[{sign}] Dear person responsible for {shop}: at {time} out-of-shop trading by your shop "
        "was found at {place}, case {case_number}. This is a repeat offence within a year: "
        "please correct it by {deadline}; the case will be fined by law. Evidence: {link}",
    ),
    # Verification failed: correct again.
    "sms_text.rework": Msg(
        "【{sign}】{shop}负责人您好:经复查,{place}的跨门营业问题仍未改正(案件编号{case_number}),"
        "请于{deadline}前改正。证据查看:{link}",
        "[{sign}] Dear person responsible for {shop}: the re-check found the out-of-shop trading "
        "at {place} not corrected (case {case_number}); please correct it by {deadline}. "
        "Evidence: {link}",
    ),
    # Fine decided, payment due.
    "sms_text.penalty": Msg(
        "【{sign}】{shop}负责人您好:案件{case_number}依法决定罚款{amount}元,请于{deadline}前"
        "在线缴纳,逾期每日按罚款数额3%加处罚款。详情:{link}",
        "[{sign}] Dear person responsible for {shop}: a fine of {amount} CNY was decided in case "
        "{case_number}; please pay online by {deadline}; late payment adds 3% of the fine a day. "
        "Details: {link}",
    ),
    # How a message went out, and why it did not: the console shows these; the gateway's or
    # the check's own diagnostic (English) stays beside them as detail.
    "sms_provider.outbox": Msg("发件箱（未接短信网关）", "outbox (no gateway)"),
    "sms_provider.http": Msg("短信网关", "SMS gateway"),
    "sms_error.detail": Msg("原始诊断", "Diagnostic"),
    "sms_error.unreachable": Msg("短信网关无法连接", "The SMS gateway cannot be reached"),
    "sms_error.answered": Msg(
        "短信网关拒绝发送（HTTP {status}）", "The SMS gateway refused the message (HTTP {status})"
    ),
    "sms_error.number": Msg(
        "手机号 {number} 不是有效的大陆手机号（11 位，13x-19x）",
        "{number} is not a mainland China mobile number (11 digits, 13x-19x)",
    ),
    "sms_error.not_delivered": Msg("运营商回执：未送达", "Delivery report: not delivered"),
    "sms_error.other": Msg("短信未能发出或送达", "The message was not sent or delivered"),
}

SMS_ERRORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("unreachable", re.compile(r"gateway unreachable\b")),
    ("answered", re.compile(r"gateway answered (?P<status>\d+)")),
    ("number", re.compile(r"'?(?P<number>[^']*?)'? is not a mainland China mobile number")),
    ("not_delivered", re.compile(r"not delivered$")),
)


def sms_error_text(error: str) -> tuple[str, dict[str, str]]:
    """The catalogue key (and its values) saying why an SMS failed, from the diagnostic stored
    with it (the gateway's answer, the number check, a delivery report); any other: ``other``."""
    for name, pattern in SMS_ERRORS:
        found = pattern.match(error)
        if found:
            return f"sms_error.{name}", found.groupdict()
    return "sms_error.other", {}
