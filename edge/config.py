"""The edge node's YAML config: node id, broker, platform, model, storage, cameras and zones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from streetorder.config.common import BrokerConfig, TimeZoneName
from streetorder.config.loader import load_yaml
from streetorder.contracts.camera import CameraConfig, Identifier, Strict, check_unique_camera_ids
from streetorder.edge.sources.health import CameraHealth
from streetorder.vocabulary import CLASS_NAMES


def _project_class_or_ignore(value: str) -> str:
    if value != "ignore" and value not in CLASS_NAMES:
        raise ValueError(
            f"unknown target class {value!r}; use one of {', '.join(CLASS_NAMES)} or ignore"
        )
    return value


#: A ``model.class_map`` value: a class of ``streetorder/vocabulary.py`` or ``ignore``.
ClassTarget = Annotated[str, AfterValidator(_project_class_or_ignore)]


class PlatformLink(Strict):
    """Where evidence files are uploaded (HTTP) and how the node authenticates."""

    url: str | None = Field(None, description="Platform base URL; None: keep evidence locally.")
    token: str | None = Field(None, description='Edge node token; use "${ENV_VAR}".')
    upload_timeout_seconds: float = Field(30.0, gt=0, le=600)


class ModelSettings(Strict):
    path: Path | None = Field(None, description="ONNX file; None: the bundled bootstrap model.")
    threads: int = Field(2, ge=1, le=64, description="onnxruntime intra-op threads.")
    score_threshold: float = Field(
        0.1, ge=0, le=1, description="Detections kept for tracking (low ones only extend tracks)."
    )
    iou_threshold: float = Field(0.5, gt=0, le=1)
    cross_class_iou: float | None = Field(
        0.8,
        gt=0,
        le=1,
        description="One reading per object: a box that a more confident box of another class "
        "covers at more than this IoU is dropped (a scooter also read as a stall); "
        "null keeps both.",
    )
    class_map: dict[str, ClassTarget] = Field(
        default_factory=dict,
        description="Model class → project class or ignore (e.g. 'dining table': table). "
        "Unlisted model classes keep their name if it is a project class, else are ignored.",
    )
    latency_budget_ms: float = Field(
        250.0,
        gt=0,
        le=60000,
        description="A model version the platform delivers is refused when one frame takes "
        "longer (median after warm-up, at the model's input size).",
    )


class StorageSettings(Strict):
    dir: Path = Field(Path("var/edge"), description="Queue database and evidence files.")
    evidence_retention_days: int = Field(30, ge=1, le=3650)
    clip_seconds_before: float = Field(5.0, ge=0, le=60)
    clip_seconds_after: float = Field(
        0.5, ge=0, le=60, description="Clip after the threshold; the alert waits for it."
    )
    queue_max_mb: int = Field(
        1024, ge=1, le=1_000_000, description="Outbox size bound; when full the oldest drop."
    )


class MetricsListen(Strict):
    host: str = Field("127.0.0.1", description="Listen address; 0.0.0.0 for a remote scraper.")
    port: int = Field(9464, ge=0, le=65535, description="0: any free port (tests).")


class EdgeNodeConfig(Strict):
    """A whole edge node. The ``cameras`` part is what the platform may push at run time."""

    node_id: Identifier
    timezone: TimeZoneName = Field("Asia/Shanghai", description="For alarm schedules.")
    broker: BrokerConfig | None = Field(None, description="None: alerts are kept locally only.")
    platform: PlatformLink = PlatformLink()
    model: ModelSettings = ModelSettings()
    storage: StorageSettings = StorageSettings()
    heartbeat_seconds: float = Field(30.0, ge=1, le=3600)
    realtime_files: bool = Field(
        True, description="Play video-file sources at their real pace, like a live camera."
    )
    camera_health: CameraHealth = Field(
        CameraHealth(), description="When a camera counts as stalled, frozen or offline."
    )
    metrics: MetricsListen | None = Field(
        None, description="Serve /metrics, /livez and /readyz (Prometheus); None: off."
    )
    cameras: tuple[CameraConfig, ...] = Field(min_length=1)

    @field_validator("cameras")
    @classmethod
    def _unique_cameras(cls, value: tuple[CameraConfig, ...]) -> tuple[CameraConfig, ...]:
        return check_unique_camera_ids(value)

    @model_validator(mode="after")
    def _broker_login_is_the_node(self) -> EdgeNodeConfig:
        """The broker ACL (``streetorder platform broker-acl``) names each node's login after
        the node and lets it publish only under ``streetorder/v1/<node_id>/``."""
        user = self.broker.username if self.broker else None
        if user is not None and user != self.node_id:
            raise ValueError(
                f"broker.username {user!r} must be the node id {self.node_id!r}: the broker "
                "lets each node's login publish only under its own topics"
            )
        return self


def load_edge_config(path: str | Path) -> EdgeNodeConfig:
    return load_yaml(EdgeNodeConfig, path)
