"""The web console: review queue, case pages, dashboard and zone editor (server-rendered).

``mount_console(app, settings=..., db=...)`` adds it to the platform's FastAPI app under
``/console``; pages use a signed-cookie session and CSRF tokens, and call the platform's services.
"""

from streetorder.platform.web.app import mount_console

__all__ = ["mount_console"]
