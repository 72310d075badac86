"""Run any Ultralytics detect ONNX export on onnxruntime, tuned for a small CPU."""

from __future__ import annotations

import ast
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

from streetorder.contracts import ModelInfo
from streetorder.contracts.model_bundle import bundled_model_path, read_manifest
from streetorder.edge.detect.class_map import map_classes
from streetorder.edge.detect.letterbox import PAD_VALUE, Letterbox, plan_letterbox
from streetorder.edge.detect.postprocess import decode_end2end, decode_raw
from streetorder.edge.detect.readings import one_reading_per_object
from streetorder.edge.detections import Detections
from streetorder.errors import ConfigError, StreetorderError

if TYPE_CHECKING:
    from streetorder.edge.config import ModelSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelMetadata:
    """What the export tells about itself (``custom_metadata_map``), parsed safely."""

    names: tuple[str, ...]
    imgsz: tuple[int, int]  # height, width
    stride: int
    end2end: bool
    task: str


def parse_metadata(meta: dict[str, str], source: str) -> ModelMetadata:
    """Parse Ultralytics metadata strings with ``ast.literal_eval`` (never ``eval``)."""

    def literal(key: str, default: Any) -> Any:
        if key not in meta:
            return default
        try:
            return ast.literal_eval(meta[key])
        except (ValueError, SyntaxError):
            raise StreetorderError(f"{source}: model metadata {key!r} is not a literal") from None

    task = meta.get("task", "detect")
    if task != "detect":
        raise StreetorderError(f"{source}: model task is {task!r}; a detect model is needed")
    names_raw = literal("names", {})
    if not isinstance(names_raw, dict):
        raise StreetorderError(f"{source}: model metadata 'names' is not a dict")
    names = tuple(str(names_raw[i]) for i in sorted(names_raw))
    imgsz = literal("imgsz", [640, 640])
    if isinstance(imgsz, int):
        imgsz = [imgsz, imgsz]
    args = literal("args", {})
    end2end = bool(literal("end2end", False)) or bool(isinstance(args, dict) and args.get("nms"))
    return ModelMetadata(
        names=names,
        imgsz=(int(imgsz[0]), int(imgsz[1])),
        stride=int(literal("stride", 32)),
        end2end=end2end,
        task=task,
    )


def session_options(threads: int) -> Any:
    """onnxruntime options for a small CPU shared with video decoding."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    so.log_severity_level = 3
    return so


class OnnxDetector:
    """Letterbox → onnxruntime → decode/NMS → boxes in source pixels.

    Args:
        path: ONNX file; None: the bundled bootstrap model.
        threads: onnxruntime intra-op threads.
        score_threshold: minimum class score kept.
        iou_threshold: NMS IoU above which the weaker box is dropped.
        imgsz: (height, width) input for models with dynamic shapes; default from metadata.
        rect: for dynamic models, shrink the input to the frame's aspect (fewer pixels).
        class_map: model class → project class or ``ignore`` (``edge/detect/class_map.py``);
            ``names`` and the class ids of detections are the project's, after mapping.
        cross_class_iou: when set, a box that a more confident box of another class covers at
            more than this IoU is dropped (``edge/detect/readings.py``); None keeps both.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        threads: int = 2,
        score_threshold: float = 0.25,
        iou_threshold: float = 0.5,
        imgsz: tuple[int, int] | None = None,
        rect: bool = False,
        max_det: int = 300,
        class_map: Mapping[str, str] | None = None,
        cross_class_iou: float | None = None,
    ) -> None:
        import onnxruntime as ort

        if path is None:
            path = bundled_model_path()
        self.path = Path(path)
        if not self.path.is_file():
            raise StreetorderError(f"model file {self.path} not found")
        try:
            self.session = ort.InferenceSession(
                str(self.path),
                sess_options=session_options(threads),
                providers=["CPUExecutionProvider"],
            )
        except Exception as exc:  # onnxruntime raises several private exception types
            first = (
                str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            )
            raise StreetorderError(f"{self.path}: not a loadable ONNX model ({first})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise StreetorderError(f"{self.path}: expected one NCHW image input")
        self.input_name: str = inputs[0].name
        self.output_name: str = self.session.get_outputs()[0].name
        self.metadata = parse_metadata(self.session.get_modelmeta().custom_metadata_map, str(path))
        _, _, h, w = inputs[0].shape
        self.dynamic = not (isinstance(h, int) and isinstance(w, int))
        if self.dynamic:
            self.imgsz = imgsz or self.metadata.imgsz
        else:
            if imgsz and tuple(imgsz) != (h, w):
                raise StreetorderError(f"{self.path}: static input is {h}x{w}, not {imgsz}")
            self.imgsz = (int(h), int(w))
        self.rect = rect and self.dynamic
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.max_det = max_det
        self.cross_class_iou = cross_class_iou
        self._plans: dict[tuple[int, int], Letterbox] = {}
        self.mapping = map_classes(self.metadata.names, class_map or {}, str(self.path))
        #: the model's own classes; ``names``: after ``class_map``, what detections report
        self.model_names: tuple[str, ...] = self.metadata.names
        self.names: tuple[str, ...] = self.mapping.names
        self.info = model_info(self.path)

    @classmethod
    def from_settings(
        cls,
        settings: ModelSettings,
        base_dir: Path,
        path: Path | None = None,
        where: str | Path | None = None,
    ) -> OnnxDetector:
        """The detector a node config's ``model`` section describes (a relative path is taken
        from ``base_dir``, the config file's folder); ``path`` overrides the model file.
        ``where`` (the config file) prefixes errors, with the key."""
        if path is None and settings.path is not None:
            path = settings.path if settings.path.is_absolute() else base_dir / settings.path
        try:
            return cls(
                path,
                threads=settings.threads,
                score_threshold=settings.score_threshold,
                iou_threshold=settings.iou_threshold,
                class_map=settings.class_map,
                cross_class_iou=settings.cross_class_iou,
            )
        except StreetorderError as exc:
            if where is None:
                raise
            reason = str(exc) if str(exc).startswith("model.") else f"model.path: {exc}"
            raise ConfigError(f"{where}: {reason}") from None

    def class_names(self) -> tuple[str, ...]:
        return self.names

    def plan(self, width: int, height: int) -> Letterbox:
        key = (width, height)
        plan = self._plans.get(key)
        if plan is None:
            stride = self.metadata.stride if self.rect else None
            plan = plan_letterbox(key, (self.imgsz[1], self.imgsz[0]), stride)
            self._plans[key] = plan
        return plan

    def preprocess(self, frame: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], Letterbox]:
        """BGR (H, W, 3) uint8 → RGB (1, 3, h, w) float32 in 0..1 and the letterbox used."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(
                f"expected a BGR uint8 frame (H, W, 3), got {frame.shape} {frame.dtype}"
            )
        plan = self.plan(frame.shape[1], frame.shape[0])
        sw, sh = plan.source_size
        iw, ih = plan.input_size
        new_w, new_h = int(round(sw * plan.ratio)), int(round(sh * plan.ratio))
        resized = (
            frame
            if (new_w, new_h) == (sw, sh)
            else cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        )
        # grey 114 padding, then BGR HWC uint8 → RGB CHW float32 / 255 straight into the
        # image area: one pass, no padded uint8 canvas (≈4× faster than blobFromImage)
        blob = np.full((1, 3, ih, iw), PAD_VALUE / 255, np.float32)
        top, left = plan.pad_top, plan.pad_left
        np.multiply(
            resized[..., ::-1].transpose(2, 0, 1),
            np.float32(1 / 255),
            out=blob[0, :, top : top + new_h, left : left + new_w],
            casting="unsafe",
        )
        return blob, plan

    def infer(self, blob: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return self.session.run([self.output_name], {self.input_name: blob})[0]

    def postprocess(self, output: npt.NDArray[np.float32], plan: Letterbox) -> Detections:
        one = output[0]
        lookup = self.mapping.lookup
        if self.metadata.end2end or (one.ndim == 2 and one.shape[1] == 6 and not self.names):
            xyxy, scores, class_id = decode_end2end(one, self.score_threshold, lookup)
            xyxy, scores, class_id = (
                xyxy[: self.max_det],
                scores[: self.max_det],
                class_id[: self.max_det],
            )
        else:
            classes = len(self.model_names)
            if classes and one.shape[0] != 4 + classes:
                raise StreetorderError(
                    f"{self.path}: output has {one.shape[0]} rows, expected 4 + {classes}"
                )
            xyxy, scores, class_id = decode_raw(
                one, self.score_threshold, self.iou_threshold, self.max_det, class_lookup=lookup
            )
        if self.cross_class_iou is not None:
            keep = one_reading_per_object(xyxy, scores, class_id, self.cross_class_iou)
            xyxy, scores, class_id = xyxy[keep], scores[keep], class_id[keep]
        return Detections(plan.to_source(xyxy), scores, class_id)

    def __call__(self, frame: npt.NDArray[np.uint8]) -> Detections:
        blob, plan = self.preprocess(frame)
        return self.postprocess(self.infer(blob), plan)


def model_info(path: Path) -> ModelInfo:
    """Name and version from the bundle manifest next to the model when it describes this very
    file (same sha256), else the file name and a hash of its bytes."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = path.parent / "manifest.json"
    if manifest.is_file():
        data = _read_manifest(manifest)
        if data and data.get("name") and data.get("version"):
            if data.get("sha256") in (None, digest):
                return ModelInfo(name=str(data["name"]), version=str(data["version"]))
            log.warning("%s does not describe %s (sha256 differs): not using it", manifest, path)
    return ModelInfo(name=path.stem, version=f"sha256-{digest[:12]}")


def _read_manifest(manifest: Path) -> dict[str, Any] | None:
    try:
        return read_manifest(manifest)
    except Exception as exc:  # a bad manifest must not stop detection
        log.warning("cannot read model manifest %s: %s", manifest, exc)
        return None
