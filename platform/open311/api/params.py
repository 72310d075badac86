"""A GeoReport v2 ``POST requests`` body (form-urlencoded or multipart) as a ReportIn."""

from __future__ import annotations

import re

from starlette.datastructures import FormData, UploadFile

from streetorder.platform.domain.errors import BadRequest
from streetorder.platform.imaging.validate import read_limited
from streetorder.platform.open311.intake import ReportIn
from streetorder.platform.open311.photos import Upload

FIELDS = (
    "service_code", "lat", "long", "address_string", "address_id", "description", "media_url",
    "email", "first_name", "last_name", "phone", "device_id", "account_id",
)  # fmt: skip
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_]{1,64})\]$")


def _one(form: FormData, name: str) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name} is given {len(values)} times")
    if not values:
        return None
    value = values[0]
    if isinstance(value, UploadFile):
        raise BadRequest(f"{name} must be a text field, not a file")
    return value


def report_of(form: FormData, *, max_photos: int, photo_max_bytes: int) -> ReportIn:
    """Text fields, ``attribute[code]`` fields, and every uploaded file as a photo."""
    text = {name: _one(form, name) for name in FIELDS}
    attributes: dict[str, str] = {}
    uploads: list[Upload] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if len(uploads) >= max_photos:
                raise BadRequest(f"at most {max_photos} photos per report")
            data = read_limited(value.file, photo_max_bytes, what=f"photo {len(uploads) + 1}")
            uploads.append(Upload(value.filename or "photo", data))
            continue
        match = _ATTRIBUTE.match(key)
        if match:
            if match.group(1) in attributes:
                raise BadRequest(f"{key} is given more than once")
            attributes[match.group(1)] = value
    return ReportIn(**text, attributes=attributes, photos=tuple(uploads))
