"""The composition root above the platform and the officer app.

It builds the one FastAPI app (the platform's JSON API, the web console, the officer app), runs
both parts' periodic jobs, owns the migrations and reads every setting from the one YAML file.
The parts never import this package; nothing else imports both parts.
"""

from streetorder.server.app import create_app
from streetorder.server.settings import ServerSettings, load_settings

__all__ = ["ServerSettings", "create_app", "load_settings"]
