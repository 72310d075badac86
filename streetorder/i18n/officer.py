"""Texts the officer app shows (work order instructions and the API's messages to officers)."""

from __future__ import annotations

from streetorder.i18n.catalogue import Msg

MESSAGES: dict[str, Msg] = {
    "officer.instructions": Msg(
        "请您{hours}小时内责令商户改正违法行为,并上传改正后照片。({shop},{place})",
        "Please order the merchant to correct the violation within {hours} hours and upload a "
        "photo after the correction. ({shop}, {place})",
    ),
    "officer.unknown_user": Msg("用户不存在或已停用", "unknown or inactive user"),
    "officer.not_for_role": Msg(
        "执法终端仅供中队的执法队员和中队长使用",
        "the officer app is for officers and squad leaders of a squad",
    ),
    "officer.wrong_password": Msg("用户名或密码错误", "wrong username or password"),
    "officer.unknown_refresh": Msg("登录凭证无效,请重新登录", "unknown refresh token"),
    "officer.refresh_revoked": Msg(
        "登录凭证已注销,请重新登录(revoked)", "refresh token revoked; log in again"
    ),
    "officer.refresh_expired": Msg("登录已过期,请重新登录", "refresh token expired; log in again"),
    "officer.missing_token": Msg("缺少登录凭证(bearer token)", "missing bearer token"),
    "officer.no_squad": Msg("该账号不属于任何中队", "this login belongs to no squad"),
    "officer.squad_gone": Msg("该账号所属中队已不存在", "this login's squad no longer exists"),
    "officer.leader_only": Msg("只有中队长可以执行此操作", "only a squad leader can do this"),
    "officer.not_found": Msg("未找到{what}{ident}(not found)", "{what} {ident} not found"),
    "officer.thing_task": Msg("任务", "task"),
    "officer.thing_photo": Msg("照片", "photo"),
    "officer.thing_file": Msg("文件", "file"),
    "officer.session_ended": Msg(
        "该登录已结束(已退出),请重新登录", "this login has ended (logged out); log in again"
    ),
    "officer.task_done": Msg("任务{task}已是{status}状态", "task {task} is already {status}"),
    "officer.task_other_shop": Msg(
        "任务{task}属于商户{shop},不是{given}", "task {task} is for shop {shop}, not {given}"
    ),
    "officer.shop_or_task": Msg(
        "请指明检查的商户(merchant_id)或任务(task_id)",
        "give the shop (merchant_id) or the task (task_id) inspected",
    ),
    "officer.due_in_future": Msg("截止时间(due_at)必须晚于现在", "due_at must be in the future"),
    "officer.shops_or_area": Msg(
        "请选择商户(merchant_ids)或区域(area)", "choose shops (merchant_ids) or an area"
    ),
    "officer.no_shop_in_area": Msg(
        "本中队没有地址包含{area}的商户", "no shop of this squad has an address containing {area}"
    ),
    "officer.bad_idempotency_key": Msg(
        "Idempotency-Key须为8-100个字母、数字或 _.:- 字符(建议使用UUID)",
        "Idempotency-Key must be 8-100 characters of letters, digits and _.:- (a UUID is ideal)",
    ),
    "officer.idempotency_key_reused": Msg(
        "该Idempotency-Key已用于另一个请求",
        "this Idempotency-Key was already used for a different request",
    ),
    "officer.photo_for_order": Msg(
        "照片{photo}是为工单上传的,不是为检查上传的",
        "photo {photo} was uploaded for a work order, not an inspection",
    ),
    "officer.photo_taken": Msg(
        "照片{photo}已属于另一次检查", "photo {photo} already belongs to another inspection"
    ),
    "officer.thing_shop": Msg("商户", "shop"),
}
