"""What the console's routes share: the platform's state, templates and the URL prefix."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from streetorder.i18n import CATALOGUE
from streetorder.platform.api.state import PlatformState
from streetorder.platform.db import Database
from streetorder.platform.services.edge_config import Publisher
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.storage import EvidenceStore

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


@dataclass
class ConsoleContext:
    """The console's view of the host app: it reads the platform's state on every use, so a
    publisher or clock set after start-up (``serve`` connects MQTT later) is picked up."""

    platform: PlatformState
    prefix: str = "/console"
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise ValueError(f"prefix {self.prefix!r} must start with '/' and not end with '/'")
        self.templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
        self.templates.env.globals["base"] = self.prefix
        self.templates.env.globals["static"] = lambda name: f"{self.prefix}/static/{name}"
        self.templates.env.globals["script_texts"] = script_texts

    @property
    def settings(self) -> PlatformSettings:
        return self.platform.settings

    @property
    def db(self) -> Database:
        return self.platform.db

    @property
    def rules(self) -> Rules:
        return self.platform.rules

    @property
    def store(self) -> EvidenceStore:
        return self.platform.store

    @property
    def publisher(self) -> Publisher | None:
        return self.platform.publisher

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def now(self) -> datetime:
        return self.platform.clock()


def script_texts(t: Callable[..., str], keys: list[str]) -> Markup:
    """The page script's texts in the viewer's language, as JSON in ``<script id="texts">``
    (read by ``T(key, values)`` in the scripts, which fill the ``{name}`` placeholders)."""
    texts = {key: CATALOGUE.messages[key].get(t.language) for key in keys}  # type: ignore[attr-defined]
    data = json.dumps(texts, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/json" id="texts">{data}</script>')


def get_context(request: Request) -> ConsoleContext:
    return request.app.state.console
