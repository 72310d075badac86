"""Why something was refused: the workflow's and the uploads' reasons, as people read them.

Raised as :class:`~streetorder.i18n.catalogue.Reason` (``str`` of it is the English sentence the
JSON API has always answered, unchanged); the console and the officer app show the same reason
in their reader's language. ``term.*`` are the words put into those sentences: in English the
machine value itself (``cannot confirm a case that is notified_dispatched``), in Chinese the
console's word for it.
"""

from __future__ import annotations

from streetorder.i18n.catalogue import Msg

MESSAGES: dict[str, Msg] = {
    # --- the case workflow and the work order / SMS lifecycles ----------------------------
    "refusal.wrong_state": Msg(
        "案件当前为“{state}”,不能{event}", "cannot {event} a case that is {state}"
    ),
    "refusal.role": Msg(
        "{role}不能{event}(可由{allowed}办理)", "role {role} cannot {event} (allowed: {allowed})"
    ),
    "refusal.needs_note": Msg("{event}须填写原因", "{event} needs a reason"),
    "refusal.guard": Msg("不能{event}:{reason}", "cannot {event}: {reason}"),
    "refusal.subject_state": Msg(
        "{noun}当前为“{state}”,不能{event}", "cannot {event}: the {noun} is {state}"
    ),
    "refusal.exempt_no_fine": Msg(
        "本案适用首违免罚(首次违法且按时改正),不予罚款",
        "the case is on the exempt track (first offence corrected in time): no fine",
    ),
    "refusal.penalty_close": Msg(
        "处罚程序的案件须缴清罚款后才能结案",
        "a penalty-track case closes only after the fine is paid",
    ),
    "refusal.max_extensions": Msg(
        "最多只能延期{count}次", "at most {count} extensions are allowed"
    ),
    "refusal.escalate_exempt_only": Msg(
        "只有首违免罚的案件才能转入处罚程序",
        "only an exempt-track case can be escalated to the penalty path",
    ),
    "refusal.deadline_not_passed": Msg(
        "改正期限尚未届满", "the correction deadline has not passed"
    ),
    "refusal.no_time_limit": Msg(
        "当前环节没有时限,无需催办", "the current step has no time limit to urge"
    ),
    "refusal.photo_required": Msg("须上传改正后照片", "an after-correction photo is required"),
    "refusal.grace_end_required": Msg(
        "须给出商户自行改正期限的截止时间", "the end of the grace period is required"
    ),
    "refusal.grace_runs": Msg("商户自行改正期限至{until}", "the grace period runs until {until}"),
    "refusal.not_seen_clear": Msg(
        "摄像头尚未看到门前已清", "the camera has not seen the frontage clear"
    ),
    "refusal.clear_after_grace": Msg(
        "摄像头在自行改正期限之后才看到门前已清",
        "the camera saw the frontage clear only after the grace period",
    ),
    "refusal.shop_required": Msg("须指定商户", "the shop is required"),
    "refusal.fine_required": Msg("须填写罚款金额", "a fine amount is required"),
    "refusal.case_is": Msg("案件当前为“{state}”", "the case is {state}"),
    "refusal.attempts_made": Msg(
        "已尝试{attempts}次(上限{limit}次)", "{attempts} of {limit} attempts made"
    ),
    "refusal.unregistered_shop": Msg(
        "不能确认:商户{shop}尚未登记,请先登记该商户",
        "cannot confirm: shop {shop} is not a registered merchant; register it first",
    ),
    "refusal.no_squad_for_merchant": Msg(
        "不能确认:商户所在街道没有负责的中队",
        "cannot confirm: no squad covers the merchant's street",
    ),
    "refusal.no_squad_for_case": Msg(
        "案件所在街道没有负责的中队,请先登记中队",
        "no squad covers the case's street; register one first",
    ),
    "refusal.photos_of_case": Msg(
        "照片须是为本案件上传的照片", "photo_ids must be photos uploaded to this case"
    ),
    "refusal.no_payment_due": Msg(
        "不能登记缴款:案件{case}没有待缴罚款",
        "cannot record_payment: case {case} has no payment due",
    ),
    "refusal.amount_due": Msg(
        "应缴金额为{due}元(罚款{fine}元+滞纳金{surcharge}元,逾期{days}天),不是{paid}元",
        "amount due is {due} CNY (fine {fine} + surcharge {surcharge} for {days} days late), not "
        "{paid}",
    ),
    "refusal.not_a_case_action": Msg(
        "{event}不是案件页的操作", "{event} is not an action of the case page"
    ),
    "refusal.no_such_file": Msg("没有这个文件", "no such file"),
    "refusal.case_not_found": Msg("没有案件{case}", "case {case} not found"),
    "refusal.order_not_found": Msg("没有工单{order}", "work order {order} not found"),
    "refusal.page_for_roles": Msg(
        "此页面供{allowed}使用,您的角色是{role}", "this page is for {allowed}; you are {role}"
    ),
    # --- uploads (platform/imaging/validate.py) ------------------------------------------------
    "upload.too_large": Msg(
        "{what}超过{mb} MB,请发送较小的文件", "{what} is larger than {mb} MB; send a smaller one"
    ),
    "upload.empty": Msg("{what}是空文件", "{what} is empty"),
    "upload.format_refused": Msg(
        "此处不接受{fmt}文件,请发送{accepted}格式",
        "{fmt} files are not accepted here; send {accepted}",
    ),
    "upload.heif_refused": Msg(
        "此处不接受HEIC/HEIF照片,请发送{accepted}格式",
        "HEIC/HEIF photos are not accepted here; send {accepted}",
    ),
    "upload.not_an_image": Msg(
        "文件不是可识别的图片,请发送{accepted}格式",
        "the file is not a recognised image; send {accepted}",
    ),
    "upload.not_what_it_claims": Msg(
        "{what}并不是其文件头所声称的{fmt}文件",
        "{what} is not the {fmt} file its first bytes claim",
    ),
    "upload.bomb": Msg(
        "{what}像素过多(超过{most}像素;按文件头即拒绝解压炸弹)",
        "{what} has too many pixels (more than {most}; a decompression bomb is refused from its "
        "header)",
    ),
    "upload.corrupt": Msg(
        "{what}无法解码(文件截断或损坏):{error}",
        "{what} cannot be decoded (truncated or corrupt): {error}",
    ),
    "upload.no_pixels": Msg("{what}没有像素({size})", "{what} has no pixels ({size})"),
    "upload.too_many_pixels": Msg(
        "{what}为{size}像素,超过允许的{most}像素",
        "{what} has {size} pixels, more than {most} allowed",
    ),
    "upload.rider": Msg(
        "{what}在图片之后还附带了{rider},请只发送照片本身",
        "{what} carries {rider} after the image; send the photo alone",
    ),
    "upload.trailer": Msg(
        "{what}在图片结束后还有{count}字节,只接受图片本身",
        "{what} has {count} bytes after the end of the image; only the image itself is accepted",
    ),
    "upload.or": Msg("或", "or"),
    "upload.what_photo": Msg("照片", "the photo"),
    "upload.what_evidence_image": Msg("证据图片", "the evidence image"),
    "rider.zip": Msg("ZIP压缩包", "a ZIP archive"),
    "rider.rar": Msg("RAR压缩包", "a RAR archive"),
    "rider.7z": Msg("7z压缩包", "a 7z archive"),
    "rider.gzip": Msg("gzip压缩文件", "a gzip file"),
    "rider.windows_program": Msg("Windows可执行程序", "a Windows program"),
    "rider.program": Msg("可执行程序", "a program"),
    "rider.pdf": Msg("PDF文档", "a PDF document"),
    "rider.script": Msg("脚本", "a script"),
    "rider.web_page": Msg("网页", "a web page"),
    # --- the zone editor and the session -------------------------------------------------------
    "zones.same_code": Msg("两个区域的编号相同", "two zones have the same code"),
    "zones.camera_not_found": Msg("没有摄像头{camera}", "camera {camera} not found"),
    "zones.has_cases": Msg(
        "区域{zone}已有案件,不能删除;请改为重新绘制",
        "zone {zone} has cases and cannot be removed; redraw it instead",
    ),
    "zones.bad_time": Msg("时间{value}不是“时:分”格式(HH:MM)", "time {value} is not HH:MM"),
    "zones.time_passed": Msg(
        "今天{value}已过;请选择明天或现在", "{value} today has passed; choose tomorrow or now"
    ),
    "zones.give_time": Msg("请填写时间(HH:MM)", "time: give HH:MM"),
    "zones.no_mask": Msg(
        "摄像头{camera}没有忽略区域{code}", "camera {camera} has no ignore region {code}"
    ),
    "zones.mask_removed": Msg(
        "忽略区域{code}已被{who}移除", "ignore region {code} was already removed by {who}"
    ),
    "zones.no_reference_request": Msg(
        "摄像头{camera}没有待拍摄的场景参考图", "camera {camera} has no reference request"
    ),
    "session.csrf": Msg(
        "页面已过期(CSRF令牌缺失或不符),请刷新页面后重试",
        "missing or wrong CSRF token; reload the page and try again",
    ),
    "session.login_first": Msg("请先登录", "log in first"),
    "session.password_short": Msg("密码至少需要8个字符", "a password needs at least 8 characters"),
    "session.password_long": Msg(
        "密码最多72字节(bcrypt的上限)", "a password may have at most 72 bytes (bcrypt's limit)"
    ),
    "session.invalid_token": Msg("登录凭证无效,请重新登录", "invalid token"),
    "session.wrong_token": Msg("此处不能使用{kind}凭证", "a {kind} token cannot be used here"),
    "session.token_expired": Msg("登录已过期,请重新登录", "token expired"),
    "session.token_reused": Msg(
        "该登录凭证已被使用过,此账号的所有登录均已结束,请重新登录",
        "refresh token already used; every session of this login was ended",
    ),
    # --- the officer app: inspections and files ------------------------------------------------
    "checklist.unknown_item": Msg(
        "未知的检查项{item};已知检查项:{known}", "unknown checklist item {item}; known: {known}"
    ),
    "checklist.unanswered": Msg("检查项{item}未作答", "checklist item {item} is not answered"),
    "refusal.file_missing": Msg("文件在存储中缺失", "the file is missing from the store"),
    # --- a model bundle uploaded in the console (platform/services/model_files.py) ---------------
    "model_upload.not_json": Msg("{what}:不是JSON格式({error})", "{what}: not JSON ({error})"),
    "model_upload.manifest": Msg("manifest.json 无效:{error}", "{error}"),
    "model_upload.manifest_not_object": Msg(
        "manifest.json 无效:必须是JSON对象", "manifest.json: a model manifest must be a JSON object"
    ),
    "model_upload.manifest_lacks": Msg(
        "manifest.json 无效:缺少字段 {keys}", "manifest.json: model manifest lacks {keys}"
    ),
    "model_upload.manifest_classes": Msg(
        "manifest.json 无效:classes 必须是类别名称的列表",
        "manifest.json: 'classes' must be a list of class names",
    ),
    "model_upload.manifest_imgsz": Msg(
        "manifest.json 无效:imgsz 必须是正整数或 [高, 宽]",
        "manifest.json: 'imgsz' must be a positive integer or [height, width]",
    ),
    "model_upload.not_onnx": Msg(
        "模型文件:不是有效的ONNX模型({error})", "model file: not a valid ONNX model ({error})"
    ),
    "model_upload.names_not_literal": Msg(
        "模型文件:元数据“names”不是字面量", "model file: metadata 'names' is not a literal"
    ),
    "model_upload.no_names": Msg(
        "模型文件:元数据中没有类别名称(“names”)",
        "model file: no class names in its metadata ('names')",
    ),
    "model_upload.not_nchw": Msg(
        "模型文件:须有且只有一个NCHW图像输入", "model file: expected one NCHW image input"
    ),
    "model_upload.no_size": Msg(
        "模型文件:输入尺寸既不固定,元数据中也没有",
        "model file: input size is neither fixed nor in its metadata",
    ),
    "model_upload.sha_mismatch": Msg(
        "manifest.json:sha256 {declared}… 与模型文件({actual}…)不符,不是该清单所描述的文件",
        "manifest.json: sha256 {declared}… does not match the model file ({actual}…): not the "
        "file this manifest describes",
    ),
    "model_upload.size_mismatch": Msg(
        "manifest.json:size_bytes 为{declared},但文件有{actual}字节",
        "manifest.json: size_bytes {declared} but the file has {actual} bytes",
    ),
    "model_upload.classes_differ": Msg(
        "manifest.json:类别{declared}与模型自身的类别({actual})不同",
        "manifest.json: classes {declared} differ from the model's own ({actual})",
    ),
    "model_upload.imgsz_differs": Msg(
        "manifest.json:imgsz 为{declared},但模型输入为{actual}",
        "manifest.json: imgsz {declared} but the model's input is {actual}",
    ),
    "model_upload.bad_text": Msg(
        "manifest.json:“{key}”须为1到100个字符的文本",
        "manifest.json: '{key}' must be a text of 1 to 100 characters",
    ),
    "model_upload.too_large": Msg(
        "模型文件:{size}字节,超过上限{most}字节", "model file: {size} bytes, over {most} bytes"
    ),
    "model_upload.file_too_large": Msg(
        "{name}:文件超过{most}字节", "{name}: larger than {most} bytes"
    ),
    "model_upload.version_not_found": Msg(
        "没有模型版本{version}", "model version {version} not found"
    ),
    "model_upload.nothing_to_roll_back": Msg(
        "{target}没有已指定的模型版本,无可回滚",
        "{target} runs no assigned model version: nothing to roll back",
    ),
    "model_upload.download_roles": Msg(
        "只有边缘节点和管理员可以下载模型文件", "only edge nodes and admins download model files"
    ),
    "model_upload.not_assigned": Msg(
        "模型版本{version}未指定给节点{node}",
        "model version {version} is not assigned to node {node}",
    ),
    "model_upload.exists": Msg(
        "模型{name} {version}已存在且文件不同;请为新文件另起版本号",
        "model {name} {version} already exists with another file; give the new one its own version",
    ),
    # --- what an edge node says about a camera (the console's camera list) -----------------------
    "camera_reason.no_frame": Msg("{seconds}秒未收到画面", "no frame for {seconds} s"),
    "camera_reason.frozen": Msg(
        "画面长时间不变,暂停分析", "the picture has not changed; frames not analysed"
    ),
    "camera_reason.source_ended": Msg("视频源已结束", "source ended"),
    "camera_reason.stream_ended": Msg("视频流中断", "stream ended"),
    "camera_reason.pipeline": Msg("处理流程无法建立:{detail}", "pipeline: {detail}"),
    "camera_reason.other": Msg("边缘节点报告:{detail}", "{detail}"),
}

#: The verbs a reason names: the event's value in English, the console's word in Chinese.
VERBS: dict[str, Msg] = {
    "discover": Msg("发现", "discover"),
    "register": Msg("立案", "register"),
    "confirm": Msg("确认", "confirm"),
    "reject": Msg("驳回", "reject"),
    "dispatch": Msg("派遣", "dispatch"),
    "notify": Msg("短信告知", "notify"),
    "self_correct": Msg("登记自行改正", "self_correct"),
    "rectify": Msg("登记处置", "rectify"),
    "extend": Msg("延期", "extend"),
    "urge": Msg("催办", "urge"),
    "rework": Msg("退回返工", "rework"),
    "verify": Msg("核查", "verify"),
    "escalate": Msg("转入处罚程序", "escalate"),
    "decide_fine": Msg("作出罚款决定", "decide_fine"),
    "notify_payment": Msg("发送缴款通知", "notify_payment"),
    "record_payment": Msg("登记缴款", "record_payment"),
    "close": Msg("结案", "close"),
    "episode_end": Msg("登记门前已清", "episode_end"),
    "reminder": Msg("登记重复告警", "reminder"),
    "report": Msg("登记市民上报", "report"),
    "assign_shop": Msg("指定商户", "assign_shop"),
    # work orders
    "acknowledge": Msg("接单", "acknowledge"),
    "record": Msg("登记现场记录", "record"),
    "reschedule": Msg("调整时限", "reschedule"),
    "complete": Msg("完成处置", "complete"),
    "cancel": Msg("取消", "cancel"),
    # SMS
    "claim": Msg("发送", "claim"),
    "accept": Msg("登记网关已接收", "accept"),
    "retry": Msg("重发", "retry"),
    "fail": Msg("登记发送失败", "fail"),
    "confirm_delivery": Msg("登记已送达", "confirm_delivery"),
    "report_failure": Msg("登记未送达", "report_failure"),
}
#: The subjects of the lifecycles (``Lifecycle.noun``).
NOUNS: dict[str, Msg] = {"work order": Msg("工单", "work order"), "SMS": Msg("短信", "SMS")}
#: Label keys of the console for a kind of value (a state of a case is ``state.<value>``...).
LABELS = {"state": "state", "role": "role", "order_state": "order_state", "sms_state": "sms_state"}


def term(kind: str, value: object) -> Msg:
    """A machine value in a reason: itself in English, the console's word for it in Chinese
    (``kind``: ``event``, ``noun`` or a label kind such as ``state``, ``role``)."""
    from streetorder.i18n import CATALOGUE

    raw = str(getattr(value, "value", value))
    if kind == "event":
        return Msg(VERBS[raw].zh if raw in VERBS else raw, raw)
    if kind == "noun":
        return Msg(NOUNS[raw].zh if raw in NOUNS else raw, raw)
    key = f"{LABELS[kind]}.{raw}"
    return Msg(CATALOGUE.messages[key].zh if key in CATALOGUE else raw, raw)


def terms(kind: str, values: object, *, sep: str = ", ") -> Msg:
    """Several values, joined (``reviewer, admin`` / ``审核员、管理员``)."""
    parts = [term(kind, v) for v in values]  # type: ignore[attr-defined]
    return Msg("、".join(p.zh for p in parts), sep.join(p.en for p in parts))
