"""How the GeoReport v2 routes describe themselves in the OpenAPI document: the format suffix,
the answers (JSON or XML; errors as the standard's list) and the POST form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from streetorder.platform.open311 import catalogue

#: ``.json`` or ``.xml`` (another suffix is a 404 in the standard's error list)
Format = Annotated[
    str, Path(description="json or xml", json_schema_extra={"enum": ["json", "xml"]})
]

ERROR_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}
WHY = {
    400: "A field or filter is invalid (unknown service code, location outside the city...).",
    403: "The api_key is not valid.",
    404: "Unknown service, request, token, jurisdiction or format.",
    413: "A photo or the whole request is too large.",
    415: "A photo is not a JPEG or PNG.",
    422: "A photo is truncated, corrupt, too large in pixels or carries another file; or the "
    "URL holds a NUL character.",
    429: "Too many anonymous reports from this address (see Retry-After).",
}


def responses(ok: int, *errors: int) -> dict[int | str, dict[str, Any]]:
    """The documented answers: ``ok`` in JSON or XML, each error as the standard's list."""
    out: dict[int | str, dict[str, Any]] = {
        ok: {"description": "GeoReport v2 document",
             "content": {"application/json": {}, "text/xml": {}}},
    }  # fmt: skip
    for status in (*errors, 404):
        out[status] = {
            "description": WHY[status],
            "content": {"application/json": {"schema": ERROR_LIST}, "text/xml": {}},
        }
    return out


_FIELDS: dict[str, Any] = {
    "service_code": {"type": "string", "enum": [s.code for s in catalogue.SERVICES]},
    "lat": {"type": "string", "description": "WGS-84 latitude, e.g. 31.2154"},
    "long": {"type": "string", "description": "WGS-84 longitude, e.g. 121.5440"},
    "address_string": {"type": "string", "maxLength": 300},
    "description": {"type": "string", "maxLength": 4000},
    "media_url": {"type": "string", "format": "uri", "description": "stored, never fetched"},
    "attribute[sms_consent]": {"type": "string", "enum": ["yes", "no"]},
    "email": {"type": "string"},
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "phone": {"type": "string", "description": "a mainland mobile number"},
    "device_id": {"type": "string"},
    "account_id": {"type": "string"},
    "jurisdiction_id": {"type": "string"},
    "api_key": {"type": "string", "description": "trusted clients (the 12345 hotline)"},
}
POST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": _FIELDS, "required": ["service_code"]}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **_FIELDS,
                        "media": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                    "required": ["service_code"],
                }
            },
        },
    }
}
