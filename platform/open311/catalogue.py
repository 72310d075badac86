"""The service list (GeoReport v2 ``services``): the street-order problems residents report.

Every service has one optional attribute, ``sms_consent``: whether the reporter agrees to an SMS
when the case closes (it needs the ``phone`` field). Codes are stable; names are zh-CN.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "市容秩序"
SMS_CONSENT = "sms_consent"
CONSENT_VALUES = (("yes", "同意，结案后短信告知"), ("no", "不需要"))


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str
    datatype: str = "singlevaluelist"
    required: bool = False
    order: int = 1
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()
    variable: bool = True


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    group: str = GROUP
    type: str = "realtime"  # GeoReport v2: realtime | batch | blackbox
    attributes: tuple[Attribute, ...] = ()

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


CONSENT = Attribute(
    code=SMS_CONSENT,
    description="结案后是否短信告知处理结果（需填写手机号 phone）",
    datatype_description="yes 或 no",
    values=CONSENT_VALUES,
)

SERVICES: tuple[Service, ...] = (
    Service(
        code="out_of_shop_trading",
        name="跨门营业",
        description="商户将商品、货架、桌椅、摊位或遮阳伞摆放到店门外的门前区域经营。",
        keywords=("跨门营业", "出店经营", "店外摆放", "out-of-shop trading"),
        attributes=(CONSENT,),
    ),
    Service(
        code="street_stall",
        name="占道设摊",
        description="在人行道、街角或路口无证摆摊设点。",
        keywords=("占道设摊", "流动摊贩", "无证摊点", "street stall"),
        attributes=(CONSENT,),
    ),
    Service(
        code="pavement_obstruction",
        name="占道堆物",
        description="在人行道或店门前堆放杂物、纸箱、建材，妨碍通行。",
        keywords=("占道堆物", "乱堆放", "人行道堵塞", "pavement obstruction"),
        attributes=(CONSENT,),
    ),
    Service(
        code="outdoor_sign",
        name="店外乱设广告牌",
        description="在店门外人行道上摆放落地广告牌、灯箱或展架。",
        keywords=("广告牌", "灯箱", "展架", "outdoor sign"),
        attributes=(CONSENT,),
    ),
)
BY_CODE = {s.code: s for s in SERVICES}


def service(code: str) -> Service | None:
    return BY_CODE.get(code)
