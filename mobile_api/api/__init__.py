"""HTTP API of the officer app under ``/api/mobile/v1`` (mounted into the platform app)."""
