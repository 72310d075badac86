"""Texts of the console's refused-messages page (拒收消息): what the ingest did not believe."""

from __future__ import annotations

from streetorder.i18n.catalogue import Msg

MESSAGES: dict[str, Msg] = {
    "nav.refused": Msg("拒收消息", "Refused"),
    "refused.title": Msg("拒收消息", "Refused messages"),
    "refused.hint": Msg(
        "平台未采信的边缘消息：原始字节、原因均已保存（接口 /api/v1/ingest/rejected）。",
        "Edge messages the platform did not believe; bytes and reason kept "
        "(API /api/v1/ingest/rejected).",
    ),
    "refused.category": Msg("类别", "Category"),
    "refused.received": Msg("收到时间", "Received"),
    "refused.node": Msg("节点", "Node"),
    "refused.alert": Msg("告警编号", "Alert id"),
    "refused.reason": Msg("原因", "Reason"),
    "refused.payload": Msg("内容（开头）", "Payload (start)"),
    "refused.bytes": Msg("{n} 字节", "{n} bytes"),
    "refused.none": Msg("没有拒收的消息", "No refused messages"),
    "refused_category.invalid": Msg("格式无效", "invalid"),
    "refused_category.untrusted": Msg("未登记来源", "untrusted"),
    "refused_category.clock": Msg("时间异常", "clock"),
    "refused_category.conflict": Msg("编号冲突", "conflict"),
    "refused_category.error": Msg("处理出错", "error"),
}
