"""Errors of the officer app beyond the platform's domain errors (same base, same HTTP mapping)."""

from __future__ import annotations

from streetorder.platform.domain.errors import UnsupportedMediaType

__all__ = ["UnsupportedMediaType"]
