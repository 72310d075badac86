"""The officer app uses the platform's upload limit middleware (one implementation)."""

from __future__ import annotations

from streetorder.platform.api.upload_limit import MULTIPART_OVERHEAD, UploadLimit

__all__ = ["MULTIPART_OVERHEAD", "UploadLimit"]
