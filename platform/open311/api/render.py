"""GeoReport v2 documents in JSON and XML, with the standard's root elements and field names.

Lists are ``<services><service>``, ``<service_requests><request>``; one definition is
``<service_definition>``; errors are ``<errors><error><code/><description/></error></errors>``
in XML and ``[{"code": ..., "description": ...}]`` in JSON. Times are W3C (ISO 8601 with the
offset) in the city's time zone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from fastapi.responses import Response

from streetorder.platform.open311.catalogue import Service
from streetorder.platform.open311.reads import PublicRequest

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _value(value: Any, tz: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    return value


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value"}.get(tag, "item")
        for child in value:
            element.append(_element(singular, child))
    else:
        element.text = _xml_text(value)
    return element


def document(fmt: str, root: str, item: str | None, body: Any, status: int = 200,
             headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    """``body`` as JSON, or as XML under ``<root>`` (a list: one ``<item>`` per entry)."""
    if fmt == "xml":
        top = ET.Element(root)
        if item is None:
            for key, value in body.items():
                top.append(_element(key, value))
        else:
            for entry in body:
                top.append(_element(item, entry))
        text = ET.tostring(top, encoding="unicode", xml_declaration=False)
        content = '<?xml version="1.0" encoding="utf-8"?>' + text
    else:
        content = json.dumps(body, ensure_ascii=False)
    return Response(content, status_code=status, media_type=FORMATS[fmt], headers=headers)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def errors(fmt: str, status: int, description: str, headers: dict[str, str] | None = None):
    """The standard's error list; characters XML cannot hold become U+FFFD (in both formats)."""
    entry = {"code": status, "description": _NOT_XML.sub("\ufffd", description)}
    return document(fmt, "errors", "error", [entry], status, headers)


def service_entry(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": service.metadata,
        "type": service.type,
        "keywords": ",".join(service.keywords),
        "group": service.group,
    }


def service_definition(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": a.variable, "code": a.code, "datatype": a.datatype,
                "required": a.required, "datatype_description": a.datatype_description,
                "order": a.order, "description": a.description,
                "values": [{"key": key, "name": name} for key, name in a.values],
            }
            for a in service.attributes
        ],
    }  # fmt: skip


def request_entry(request: PublicRequest, tz: ZoneInfo) -> dict[str, Any]:
    return {key: _value(value, tz) for key, value in asdict(request).items()}


def request_entries(requests: Sequence[PublicRequest], tz: ZoneInfo) -> list[dict[str, Any]]:
    return [request_entry(r, tz) for r in requests]
