"""What a reporter sees of the case behind a report: GeoReport ``status`` and ``status_notes``."""

from __future__ import annotations

from streetorder.platform.domain.workflow import TERMINAL_VALUES, State

NOTES = {
    State.DISCOVERED: "已受理",
    State.PENDING_REVIEW: "已受理，等待指挥中心审核",
    State.CONFIRMED: "已立案，正在通知商户",
    State.NOTIFIED: "已立案，已通知商户限时整改",
    State.NOTIFIED_DISPATCHED: "已立案，已派遣执法队员到场处置",
    State.RECTIFIED: "已整改，等待核查",
    State.VERIFIED: "已核查整改到位",
    State.FINE_DECIDED: "已核查整改到位，依法处罚中",
    State.PAYMENT_DUE: "已核查整改到位，依法处罚中",
    State.PAID: "已核查整改到位，处罚已执行",
    State.CLOSED: "已结案：问题已处理完毕，感谢您的反映",
    State.REJECTED: "已结案：经指挥中心核实，未发现需要处置的违规情况",
}


def open311_status(case_state: str) -> str:
    """``closed`` once the case is closed or rejected, else ``open``."""
    return "closed" if case_state in TERMINAL_VALUES else "open"


def status_notes(case_state: str, *, joined: bool, case_number: str) -> str:
    note = NOTES.get(State(case_state), "")
    if joined:
        note = f"{note}（与案件 {case_number} 合并处理）"
    return note
