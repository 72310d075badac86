"""Texts of the console's refused-messages page (拒收消息): what the ingest did not believe."""

from __future__ import annotations

import re

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
    "refused.detail": Msg("原始诊断", "Diagnostic"),
    "message_kind.alert": Msg("告警", "alert"),
    "message_kind.episode_end": Msg("告警结束", "episode end"),
    "message_kind.heartbeat": Msg("心跳", "heartbeat"),
    "message_kind.availability": Msg("在线状态", "availability"),
    "message_kind.config": Msg("配置下发", "config"),
    "message_kind.config_ack": Msg("配置应答", "config ack"),
    "message_kind.receipt": Msg("回执", "receipt"),
    # why, in the reviewer's words: one text per reason the ingest gives (refusal_text below),
    # and one per category for a reason it does not know
    "refused_why.invalid": Msg(
        "消息格式不符合接口约定，平台无法读取",
        "The message does not follow the message contract; the platform cannot read it",
    ),
    "refused_why.untrusted": Msg(
        "消息来自平台未登记的节点、摄像头或区域",
        "The message names a node, camera or zone the platform has not registered",
    ),
    "refused_why.clock": Msg(
        "消息中的时间不可信（与平台时钟相差过大）",
        "The message's times cannot be believed (too far from the platform's clock)",
    ),
    "refused_why.conflict": Msg(
        "同一告警编号已存在，但内容不同",
        "An alert with this id is already stored with other content",
    ),
    "refused_why.error": Msg(
        "平台处理该消息时出错", "The platform failed while handling the message"
    ),
    "refused_why.not_json": Msg("消息不是有效的 JSON", "The message is not valid JSON"),
    "refused_why.not_object": Msg("消息不是 JSON 对象", "The message is not a JSON object"),
    "refused_why.unknown_kind": Msg("未知的消息类型 {kind}", "Unknown message kind {kind}"),
    "refused_why.schema_version": Msg(
        "不支持的接口版本 {version}（{kind}消息）", "Unsupported schema version {version} ({kind})"
    ),
    "refused_why.invalid_field": Msg(
        "{kind}消息的字段 {field} 不合规", "Field {field} of the {kind} message is not valid"
    ),
    "refused_why.wrong_topic": Msg("消息发到了错误的主题", "The message came on the wrong topic"),
    "refused_why.node_mismatch": Msg(
        "消息中的节点 {node} 与主题中的节点 {topic_node} 不一致",
        "Node {node} in the message differs from the topic's node {topic_node}",
    ),
    "refused_why.end_unknown_alert": Msg(
        "结束消息对应的告警 {alert} 在平台上不存在",
        "The episode end names alert {alert}, which the platform does not have",
    ),
    "refused_why.node": Msg("节点 {node} 未在平台登记", "Node {node} is not registered"),
    "refused_why.camera": Msg(
        "摄像头 {camera} 未登记在节点 {node} 下", "Camera {camera} is not registered to node {node}"
    ),
    "refused_why.zone": Msg(
        "区域 {zone} 未登记在摄像头 {camera} 上", "Zone {zone} is not registered on camera {camera}"
    ),
    "refused_why.shop": Msg(
        "商户 {shop} 不是区域 {zone} 登记的商户（登记的是 {registered}）",
        "Shop {shop} is not the shop of zone {zone} (registered: {registered})",
    ),
    "refused_why.other_owner": Msg(
        "告警 {alert} 属于 {owner}，不属于发送方 {claimed}",
        "Alert {alert} belongs to {owner}, not to the sender {claimed}",
    ),
    "refused_why.start_after_threshold": Msg(
        "告警的开始时间晚于超时时间", "The episode starts after its threshold time"
    ),
    "refused_why.ahead": Msg(
        "消息时间比平台时钟快 {seconds} 秒（最多允许 {most} 秒），请检查节点时钟",
        "The message's time is {seconds} s ahead of the "
        "platform's clock (at most {most} s); check the node's clock",
    ),
    "refused_why.behind": Msg(
        "消息时间比平台时钟早 {days} 天（最多允许 {most} 天）",
        "The message's time is {days} days before the platform's clock (at most {most} days)",
    ),
    "refused_why.database": Msg("数据库拒绝保存该消息", "The database refused the message"),
    "refused_why.internal": Msg("平台内部错误", "Internal error of the platform"),
}

_Q = r"'?(?P<{}>[^']*?)'?"  # a name the ingest may have quoted with repr()
REFUSAL_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("not_json", r"not JSON\b"),
        ("not_object", r"not a JSON object$"),
        ("unknown_kind", r"unknown message kind " + _Q.format("kind") + "$"),
        ("schema_version", r"unsupported schema version " + _Q.format("version")
         + r" for (?P<kind>\S+) "),
        ("invalid_field", r"invalid (?P<kind>\S+): (?P<field>[^:]+): "),
        ("wrong_topic", r"(not an ingest topic: |\S+ message on the \S+ topic$)"),
        ("node_mismatch", r"node_id " + _Q.format("node") + r" differs from the topic's node "
         + _Q.format("topic_node") + "$"),
        ("end_unknown_alert", r"episode end for unknown alert (?P<alert>\S+)$"),
        ("node", r"node " + _Q.format("node") + r" is not registered$"),
        ("camera", r"camera " + _Q.format("camera") + r" is not registered to node "
         + _Q.format("node") + "$"),
        ("zone", r"zone " + _Q.format("zone") + r" is not registered on camera (?P<camera>\S+)$"),
        ("shop", r"shop " + _Q.format("shop") + r" is not the shop of zone (?P<zone>\S+) "
         r"\(registered: " + _Q.format("registered") + r"\)$"),
        ("other_owner", r"alert (?P<alert>\S+) is (?P<owner>\S+)'s, not (?P<claimed>\S+)'s$"),
        ("start_after_threshold", r"episode_started_at is after threshold_crossed_at$"),
        ("ahead", r"\S+ \S+ is (?P<seconds>[\d.]+) s ahead of the platform's clock "
         r"\(at most (?P<most>[\d.]+) s\)$"),
        ("behind", r"\S+ \S+ is (?P<days>[\d.]+) days before the platform's clock "
         r"\(at most (?P<most>\d+) days\)$"),
        ("conflict", r"alert \S+ is already stored with other content"),
        ("database", r"database refused the message"),
        ("internal", r"internal error"),
    )
)  # fmt: skip


def refusal_text(category: str, reason: str) -> tuple[str, dict[str, str]]:
    """The catalogue key (and its values) that says in the reader's words why the ingest
    refused a message, from the diagnostic it stored (``reason``, English, kept as detail).

    A diagnostic the ingest does not give gets its category's text."""
    for name, pattern in REFUSAL_REASONS:
        found = pattern.match(reason)
        if found:
            return f"refused_why.{name}", {
                k: v for k, v in found.groupdict().items() if v is not None
            }
    return f"refused_why.{category}", {}
