"""Notes the platform writes into a case's audit trail (timeline), in Chinese, once."""

from __future__ import annotations

from streetorder.i18n.catalogue import Msg

MESSAGES: dict[str, Msg] = {
    "note.alert": Msg("告警{alert}来自{where}", "alert {alert} from {where}"),
    "note.clear_since": Msg("自{since}起门前已清", "frontage clear since {since}"),
    "note.self_corrected": Msg(
        "摄像头确认门前已清:商户自行改正,无需出勤",
        "the camera saw the frontage clear: corrected without an officer",
    ),
    "note.order_replaced": Msg("由第{round}轮工单替代", "replaced by round {round}"),
    "note.taken_with_correction": Msg("随改正一并接单", "with the correction"),
}
