"""Detector: letterbox geometry, metadata parsing, errors, and agreement with Ultralytics."""

from __future__ import annotations

import numpy as np
import pytest

from streetorder.edge.detect import OnnxDetector, apply_letterbox, parse_metadata, plan_letterbox
from streetorder.edge.detect.postprocess import decode_raw, nms
from streetorder.edge.detections import Detections, box_iou
from streetorder.errors import StreetorderError
from tests.edge.conftest import synthetic_scene


@pytest.mark.parametrize(
    ("source", "target", "ratio", "pad"),
    [
        ((1280, 720), (640, 640), 0.5, (0, 140)),
        ((720, 1280), (640, 640), 0.5, (140, 0)),
        ((1920, 1080), (320, 320), 1 / 6, (0, 70)),
        ((640, 640), (640, 640), 1.0, (0, 0)),
        ((100, 50), (320, 320), 3.2, (0, 80)),
        ((1281, 719), (320, 320), 320 / 1281, (0, 70)),
    ],
)
def test_letterbox_plan(source, target, ratio, pad) -> None:
    box = plan_letterbox(source, target)
    assert box.ratio == pytest.approx(ratio)
    assert (box.pad_left, box.pad_top) == pad
    frame = np.zeros((source[1], source[0], 3), np.uint8) + 7
    canvas = apply_letterbox(frame, box)
    assert canvas.shape == (target[1], target[0], 3)
    # padding is grey 114 and the image sits centred between the pads
    if pad[1]:
        assert (canvas[: pad[1]] == 114).all() and (canvas[-pad[1] :] == 114).all()
        assert (canvas[pad[1] + 1 : target[1] - pad[1] - 1] == 7).all()
    if pad[0]:
        assert (canvas[:, : pad[0]] == 114).all() and (canvas[:, -pad[0] :] == 114).all()


def test_letterbox_rect_for_dynamic_models() -> None:
    box = plan_letterbox((1280, 720), (320, 320), stride=32)
    assert box.input_size == (320, 192)
    assert (box.pad_left, box.pad_top) == (0, 6)


@pytest.mark.parametrize("source", [(1280, 720), (720, 1280), (333, 777), (1920, 1080)])
def test_inverse_mapping_round_trip(source) -> None:
    box = plan_letterbox(source, (640, 640))
    rng = np.random.default_rng(1)
    w, h = source
    pts = rng.uniform(0, 1, (50, 4)) * [w, h, w, h]
    xyxy = np.concatenate(
        [np.minimum(pts[:, :2], pts[:, 2:]), np.maximum(pts[:, :2], pts[:, 2:])], 1
    )
    back = box.to_source(box.to_input(xyxy.astype(np.float32)))
    np.testing.assert_allclose(back, xyxy, atol=1e-2)


def test_metadata_is_parsed_safely() -> None:
    meta = {
        "names": "{0: 'goods', 1: 'rack'}",
        "imgsz": "[384, 640]",
        "stride": "32",
        "task": "detect",
        "args": "{'nms': True, 'dynamic': False}",
    }
    parsed = parse_metadata(meta, "m.onnx")
    assert parsed.names == ("goods", "rack")
    assert parsed.imgsz == (384, 640)
    assert parsed.end2end
    with pytest.raises(StreetorderError, match="not a literal"):
        parse_metadata({**meta, "names": "__import__('os').system('false')"}, "m.onnx")
    with pytest.raises(StreetorderError, match="task is 'segment'"):
        parse_metadata({**meta, "task": "segment"}, "m.onnx")


def test_decode_raw_and_class_aware_nms() -> None:
    # 3 anchors, 2 classes: two overlapping boxes of class 0, one overlapping box of class 1
    out = np.array(
        [
            [50, 52, 51],  # cx
            [50, 50, 50],  # cy
            [20, 20, 20],  # w
            [20, 20, 20],  # h
            [0.9, 0.8, 0.1],  # class 0
            [0.1, 0.1, 0.7],  # class 1
        ],
        np.float32,
    )
    xyxy, scores, cls = decode_raw(out, 0.25, 0.5)
    assert cls.tolist() == [0, 1]
    np.testing.assert_allclose(scores, [0.9, 0.7])
    np.testing.assert_allclose(xyxy[0], [40, 40, 60, 60])
    assert (
        nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), 0.5).size
        == 0
    )


def test_detections_validate_and_filter() -> None:
    d = Detections(np.array([[0, 0, 10, 10], [5, 5, 20, 30]]), [0.9, 0.2], [0, 3])
    assert d.xyxy.dtype == np.float32 and d.class_id.dtype == np.int64
    kept = d[d.confidence > 0.5]
    assert len(kept) == 1 and len(d) == 2
    np.testing.assert_allclose(d.anchor("bottom_center"), [[5, 10], [12.5, 30]])
    with pytest.raises(ValueError, match="confidence has 1 entries"):
        Detections(np.zeros((2, 4)), [0.5], [0, 1])
    with pytest.raises(ValueError, match="mask has 3 entries"):
        d[np.array([True, False, True])]
    assert box_iou(d.xyxy, d.xyxy).diagonal().tolist() == [1.0, 1.0]


def test_missing_and_corrupt_model_files(tmp_path) -> None:
    with pytest.raises(StreetorderError, match="not found"):
        OnnxDetector(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf")
    with pytest.raises(StreetorderError, match="not a loadable ONNX model"):
        OnnxDetector(bad)


@pytest.mark.train
@pytest.mark.parametrize(
    ("nms_in_graph", "dynamic"), [(False, False), (True, False), (False, True)]
)
def test_detector_variants_agree(export_yolo, nms_in_graph: bool, dynamic: bool) -> None:
    base = OnnxDetector(export_yolo(), score_threshold=0.25, iou_threshold=0.7)
    other = OnnxDetector(
        export_yolo(nms=nms_in_graph, dynamic=dynamic), score_threshold=0.25, iou_threshold=0.7
    )
    assert other.names == base.names and other.dynamic == dynamic
    frame = synthetic_scene(seed=3)
    a, b = base(frame), other(frame)
    assert len(a) > 0
    _assert_match(a, b.xyxy, b.confidence, b.class_id)


@pytest.mark.train
@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (640, 480), (1920, 1080)])
def test_matches_ultralytics_predictions(export_yolo, size) -> None:
    yolo_cls = pytest.importorskip("ultralytics").YOLO
    path = export_yolo()
    ours = OnnxDetector(path, score_threshold=0.25, iou_threshold=0.5)
    theirs = yolo_cls(str(path), task="detect")
    total = 0
    for seed in range(3):
        frame = synthetic_scene(*size, seed=seed)
        mine = ours(frame)
        ref = theirs.predict(frame, imgsz=320, conf=0.25, iou=0.5, verbose=False)[0].boxes
        _assert_match(mine, ref.xyxy.numpy(), ref.conf.numpy(), ref.cls.numpy().astype(int))
        total += len(mine)
    assert total > 0


def _assert_match(mine: Detections, xyxy, conf, cls) -> None:
    """A one-to-one matching pairs every reference box with one of ours: IoU ≥ 0.95, same class,
    score within 0.01."""
    from scipy.optimize import linear_sum_assignment

    assert len(mine) == len(xyxy), (len(mine), len(xyxy))
    if not len(xyxy):
        return
    conf, cls = np.asarray(conf, np.float32), np.asarray(cls, np.int64)
    iou = box_iou(np.asarray(xyxy, np.float32), mine.xyxy)
    cost = (1 - iou) + 10 * (cls[:, None] != mine.class_id[None, :])
    cost += np.abs(conf[:, None] - mine.confidence[None, :])
    rows, cols = linear_sum_assignment(cost)
    # boxes clipped to a frame edge can have zero area: compare those by their coordinates
    same = np.abs(np.asarray(xyxy, np.float32)[rows] - mine.xyxy[cols]).max(axis=1) <= 0.5
    assert ((iou[rows, cols] >= 0.95) | same).all(), iou[rows, cols].min()
    assert (cls[rows] == mine.class_id[cols]).all()
    assert np.abs(conf[rows] - mine.confidence[cols]).max() <= 0.01


@pytest.mark.train
@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (333, 777), (320, 320)])
def test_preprocess_equals_letterbox_then_normalise(export_yolo, size) -> None:
    det = OnnxDetector(export_yolo())
    frame = synthetic_scene(*size, seed=5)
    blob, plan = det.preprocess(frame)
    canvas = apply_letterbox(frame, plan)
    expected = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255
    assert blob.shape == expected.shape
    np.testing.assert_allclose(blob, expected, atol=1e-6)


@pytest.mark.train
def test_model_info_from_manifest_only_for_the_same_file(export_yolo, tmp_path) -> None:
    import hashlib
    import json
    import shutil

    from streetorder.edge.detect import model_info

    model = tmp_path / "streetorder-det.onnx"
    shutil.copy(export_yolo(), model)
    assert model_info(model).name == "streetorder-det"
    assert model_info(model).version.startswith("sha256-")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    manifest = {"name": "so-det", "version": "0.3", "sha256": digest, "classes": [], "imgsz": 320}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert (model_info(model).name, model_info(model).version) == ("so-det", "0.3")
    manifest["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert model_info(model).name == "streetorder-det"
