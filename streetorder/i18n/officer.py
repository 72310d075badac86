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
    "officer.thing_shop": Msg("商户", "shop"),
}
