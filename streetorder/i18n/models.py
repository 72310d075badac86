"""Texts of the console's model-versions page (模型版本)."""

from __future__ import annotations

from streetorder.i18n.catalogue import Msg

MESSAGES: dict[str, Msg] = {
    "nav.models": Msg("模型版本", "Models"),
    "models.title": Msg("模型版本", "Model versions"),
    "models.hint": Msg(
        "上传、灰度（单个摄像头）、全量下发、回滚",
        "upload, canary (one camera), roll out, roll back",
    ),
    "models.file_model": Msg("ONNX 模型", "ONNX model"),
    "models.file_manifest": Msg("manifest.json", "manifest.json"),
    "models.col_digest": Msg("sha256", "sha256"),
    "models.file_eval": Msg("eval.json（可选，模型卡指标）", "eval.json (optional, card metrics)"),
    "models.upload": Msg("上传", "Upload"),
    "models.upload_hint": Msg(
        "平台核对 sha256，并从模型文件本身读取类别和输入尺寸；与 manifest 不符即拒收。",
        "The platform checks the sha256 and reads classes and input size from the model itself; "
        "a manifest that disagrees is refused.",
    ),
    "models.col_version": Msg("版本", "Version"),
    "models.col_classes": Msg("类别", "Classes"),
    "models.col_input": Msg("输入", "Input"),
    "models.col_size": Msg("大小 (MB)", "Size (MB)"),
    "models.col_metrics": Msg("模型卡指标", "Card metrics"),
    "models.col_uploaded": Msg("上传", "Uploaded"),
    "models.none": Msg("尚无模型版本。", "No model versions yet."),
    "models.rollout": Msg("下发状态", "Rollout"),
    "models.col_target": Msg("节点 / 摄像头", "Node / camera"),
    "models.col_assigned": Msg("指定版本", "Assigned"),
    "models.col_running": Msg("正在运行（心跳）", "Running (heartbeat)"),
    "models.col_ack": Msg("节点应答", "Node's answer"),
    "models.col_actions": Msg("操作", "Actions"),
    "models.own": Msg("节点自带模型", "the node's own model"),
    "models.follow_node": Msg("跟随节点", "follow the node"),
    "models.unknown": Msg("未知", "unknown"),
    "models.canary": Msg("灰度", "canary"),
    "models.assign_camera": Msg("灰度下发", "Canary"),
    "models.assign_node": Msg("全量下发", "Roll out"),
    "models.rollback": Msg("回滚", "Roll back"),
    "models.no_nodes": Msg("尚无边缘节点。", "No edge nodes yet."),
    "models.revision": Msg("配置版本 {revision}：", "Revision {revision}: "),
    "models.ack_applied": Msg("已生效", "applied"),
    "models.ack_refused": Msg("已拒绝", "refused"),
    "models.ack_waiting": Msg("等待边缘节点确认", "waiting for the edge node"),
    "models.ack_unpublished": Msg(
        "已保存，未下发（消息服务器未连接）", "saved, not pushed (no broker connection)"
    ),
    "models.ack_none": Msg("尚未下发配置", "no config pushed yet"),
    "models.uploaded": Msg("已上传 {label}", "Uploaded {label}"),
    "models.known": Msg("{label} 已存在，未重复保存", "{label} exists already; not stored again"),
    "models.upload_failed": Msg("上传失败：{reason}", "Upload refused: {reason}"),
    "models.bad_version": Msg("“{value}”不是模型版本", "{value!r} is not a model version"),
    "models.missing_file": Msg("请选择文件：{name}", "Choose a file: {name}"),
    "models.pushed_camera": Msg(
        "摄像头 {camera}：已下发配置版本 {revision}，等待边缘节点确认",
        "Camera {camera}: revision {revision} pushed; waiting for the edge node",
    ),
    "models.pushed_node": Msg(
        "节点 {node}：已下发配置版本 {revision}，等待边缘节点确认",
        "Node {node}: revision {revision} pushed; waiting for the edge node",
    ),
}
