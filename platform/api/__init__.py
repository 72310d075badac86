"""The platform's JSON API (FastAPI): ``create_app(settings)`` builds one, nothing at import."""

from streetorder.platform.api.app import create_app

__all__ = ["create_app"]
