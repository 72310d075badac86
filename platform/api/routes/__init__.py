"""One router per thing, all under ``/api/v1``."""
