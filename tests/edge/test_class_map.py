"""Bring your own detector: ``model.class_map`` maps a model's classes onto the vocabulary, and
every entry point refuses zones asking for a class the model cannot report, in one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import yaml

from streetorder.cli import main
from streetorder.contracts import ConfigPush, encode
from streetorder.edge.config import load_edge_config
from streetorder.edge.detect import OnnxDetector, check_zone_classes, map_classes
from streetorder.edge.evidence import Mp4Writer
from streetorder.edge.node import EdgeNode
from streetorder.edge.runtime.config_push import check_push_classes, decide
from streetorder.errors import ConfigError, StreetorderError
from streetorder.vocabulary import CLASS_NAMES
from tests.edge.blocks import scene
from tests.edge.tiny_models import tiny_detector

COCO_LIKE = ["person", "bench", "dining table", "desk", "umbrella"]
COCO_MAP = {"dining table": "table", "desk": "table", "bench": "ignore"}
ANCHORS = [  # input pixels of a 64x64 model
    (16, 40, 16, 16, "dining table", 0.9),
    (17, 40, 16, 16, "desk", 0.8),  # the same object scored as another class
    (48, 40, 12, 12, "bench", 0.95),
    (48, 20, 10, 10, "umbrella", 0.7),
    (30, 20, 6, 14, "person", 0.6),
]


@pytest.mark.parametrize(
    ("model_names", "class_map", "names", "lookup"),
    [
        (CLASS_NAMES, {}, CLASS_NAMES, None),  # the bundled vocabulary: ids untouched
        (("rack", "goods"), {}, ("rack", "goods"), None),
        (("rack", "goods"), {"rack": "goods", "goods": "rack"}, ("goods", "rack"), [0, 1]),
        (tuple(COCO_LIKE), COCO_MAP, ("table", "umbrella", "person"), [2, -1, 0, 0, 1]),
        (tuple(COCO_LIKE), {}, ("umbrella", "person"), [1, -1, -1, -1, 0]),
        (("car", "truck"), {"truck": "goods"}, ("goods",), [-1, 0]),
    ],
)
def test_mapping_table(model_names, class_map, names, lookup) -> None:
    mapping = map_classes(tuple(model_names), class_map, "m.onnx")
    assert mapping.names == names
    assert (mapping.lookup is None) == (lookup is None)
    if lookup is not None:
        assert mapping.lookup.tolist() == lookup


def test_mapping_refuses_keys_the_model_does_not_have() -> None:
    with pytest.raises(StreetorderError, match=r"model.class_map.dinning table: not a class of "):
        map_classes(tuple(COCO_LIKE), {"dinning table": "table"}, "m.onnx")
    with pytest.raises(StreetorderError, match="has no class names in its metadata"):
        map_classes((), {"a": "goods"}, "m.onnx")


def test_class_map_targets_are_validated_with_their_key(tmp_path: Path) -> None:
    path = tmp_path / "node.yaml"
    body = {"node_id": "n1", "model": {"class_map": {"dining table": "tabel"}},
            "cameras": [{"id": "c1", "source": "x.mp4"}]}  # fmt: skip
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(ConfigError, match=r"node.yaml: model.class_map.dining table: unknown "):
        load_edge_config(path)


def test_detector_reports_mapped_classes_and_drops_ignored_ones(tmp_path: Path) -> None:
    model = tiny_detector(tmp_path / "coco.onnx", COCO_LIKE, ANCHORS)
    frame = np.zeros((64, 64, 3), np.uint8)
    mapped = OnnxDetector(model, score_threshold=0.25, class_map=COCO_MAP)
    assert mapped.model_names == tuple(COCO_LIKE)
    assert mapped.names == ("table", "umbrella", "person")
    got = mapped(frame)
    # dining table and desk are one class now: NMS keeps the better box; the bench is gone
    assert [mapped.names[c] for c in got.class_id] == ["table", "umbrella", "person"]
    np.testing.assert_allclose(got.confidence, [0.9, 0.7, 0.6])
    np.testing.assert_allclose(got.xyxy[0], [8, 32, 24, 48])
    plain = OnnxDetector(model, score_threshold=0.25)  # no map: only vocabulary names stay
    assert plain.names == ("umbrella", "person")
    assert [plain.names[c] for c in plain(frame).class_id] == ["umbrella", "person"]


def node_config(folder: Path, model: Path, classes: list[str] | None) -> Path:
    zone = {"id": "z1", "shop_id": "s1", "polygon": [[0, 0.4], [0.45, 0.4], [0.45, 1], [0, 1]],
            "rules": {"classes": ["table", "umbrella"], "dwell_seconds": 3, "clear_seconds": 2,
                      "grace_seconds": 1, "min_score": 0.25}}  # fmt: skip
    other = {**zone, "id": "z2", "rules": {**zone["rules"]}}
    if classes is None:
        del other["rules"]["classes"]  # the default: goods, rack, table, stall, umbrella
    else:
        other["rules"]["classes"] = classes
    body = {
        "node_id": "byo-1",
        "model": {"path": model.name, "threads": 1, "class_map": COCO_MAP},
        "storage": {"dir": "var", "clip_seconds_before": 1, "clip_seconds_after": 0},
        "cameras": [{"id": "cam-01", "source": "street.mp4", "zones": [zone, other]}],
    }
    (folder / "street.mp4").touch()  # check-config checks that the files it names exist
    path = folder / "node.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_check_config_refuses_zone_classes_the_model_cannot_report(tmp_path, capsys) -> None:
    model = tiny_detector(tmp_path / "coco.onnx", COCO_LIKE, ANCHORS)
    cfg = node_config(tmp_path, model, None)
    assert main(["edge", "check-config", "--config", str(cfg)]) == 2
    line = one_error_line(capsys)
    assert f"{cfg}: cameras[0].zones[1].rules.classes: 'goods' is not a class of the model" in line
    assert "the model's classes: table, umbrella, person" in line
    assert "before model.class_map: person, bench, dining table, desk, umbrella" in line
    cfg = node_config(tmp_path, model, ["table", "person"])
    assert main(["edge", "check-config", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "model classes: person, dining table → table, desk → table, umbrella; 1 ignored" in out


def test_node_start_refuses_and_stops(tmp_path: Path) -> None:
    model = tiny_detector(tmp_path / "coco.onnx", COCO_LIKE, ANCHORS)
    cfg = node_config(tmp_path, model, ["goods"])
    node = EdgeNode(load_edge_config(cfg), base_dir=tmp_path, config_path=cfg)
    with pytest.raises(ConfigError, match=r"node.yaml: cameras\[0\].zones\[1\].rules.classes: "):
        node.start()
    assert node.workers == {} and node.stop_event.is_set()  # nothing left running


def test_config_push_with_a_class_the_model_cannot_report_is_refused(tmp_path: Path) -> None:
    model = tiny_detector(tmp_path / "coco.onnx", COCO_LIKE, ANCHORS)
    config = load_edge_config(node_config(tmp_path, model, ["table"]))
    detector = OnnxDetector.from_settings(config.model, tmp_path)
    zone = config.cameras[0].zones[0]
    stall = zone.model_copy(update={"rules": zone.rules.model_copy(update={"classes": ("stall",)})})
    bad = config.cameras[0].model_copy(update={"zones": (stall,)})
    now = datetime.now(UTC)
    push = ConfigPush(node_id="byo-1", revision=3, cameras=(bad,), issued_at=now)

    def check(p: ConfigPush) -> None:
        check_push_classes(p, detector.names, detector.model_names)

    decision = decide(encode(push), node_id="byo-1", active_revision=1, now=now, check=check)
    assert decision.action == "refuse" and decision.ack is not None
    assert decision.ack.reason.startswith(
        "config revision 3: cameras[0].zones[0].rules.classes: 'stall' is not a class of the model"
    )
    good = decide(encode(push.model_copy(update={"cameras": config.cameras})), node_id="byo-1",
                  active_revision=1, now=now, check=check)  # fmt: skip
    assert good.action == "apply"


def street_video(path: Path, seconds: int = 10) -> Path:
    with Mp4Writer(path, fps=2, gop=4, crf=18) as w:
        for i in range(seconds * 2):
            w.write(scene([], (640, 360)), i / 2)
    return path


def test_replay_refuses_then_runs_a_mapped_model(tmp_path: Path, capsys) -> None:
    model = tiny_detector(tmp_path / "coco.onnx", COCO_LIKE, ANCHORS)
    video = street_video(tmp_path / "street.mp4")
    out = tmp_path / "out"
    cfg = node_config(tmp_path, model, ["two_wheeler"])
    args = ["replay", str(video), "--config", str(cfg), "--out", str(out), "--no-video"]
    assert main(args) == 2
    assert "cameras[0].zones[1].rules.classes: 'two_wheeler' is not a class" in one_error_line(
        capsys
    )
    node_config(tmp_path, model, ["person"])
    assert main(args) == 0
    alerts = [json.loads(line) for line in (out / "alerts.jsonl").read_text().splitlines()]
    (alert,) = [a for a in alerts if a["kind"] == "alert"]  # the table stands in zone z1
    assert alert["zone_id"] == "z1"
    assert {o["class_name"] for o in alert["objects"]} == {"table"}


def test_the_coco_example_config_fits_a_coco_style_model(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "node-coco-detector.yaml"
    config = load_edge_config(example)
    names = ["person", "bicycle", "car", "motorcycle", "umbrella", "suitcase", "bench"]
    names += ["chair", "dining table", "dog"]
    model = tiny_detector(tmp_path / "coco.onnx", names, [(10, 10, 4, 4, "suitcase", 0.5)])
    detector = OnnxDetector(model, class_map=config.model.class_map)
    assert detector.names == ("goods", "table", "umbrella", "person", "two_wheeler")
    check_zone_classes(config.cameras, detector, example)  # raises if a zone asks for more


def test_check_config_names_the_file_for_model_errors(tmp_path: Path, capsys) -> None:
    model = tiny_detector(tmp_path / "coco.onnx", COCO_LIKE, ANCHORS)
    cfg = node_config(tmp_path, model, ["table"])
    body = yaml.safe_load(cfg.read_text())
    body["model"]["class_map"] = {"dinning table": "table"}  # a typo of the model's class
    cfg.write_text(yaml.safe_dump(body))
    assert main(["edge", "check-config", "--config", str(cfg)]) == 2
    assert f"{cfg}: model.class_map.dinning table: not a class of " in one_error_line(capsys)
    body["model"] = {"path": "missing.onnx"}
    cfg.write_text(yaml.safe_dump(body))
    assert main(["edge", "check-config", "--config", str(cfg)]) == 2
    assert f"{cfg}: model.path: {tmp_path / 'missing.onnx'}: file not found" in one_error_line(
        capsys
    )


def test_nms_in_graph_outputs_are_mapped_too() -> None:
    from streetorder.edge.detect.postprocess import decode_end2end

    rows = np.array(
        [
            [0, 0, 10, 10, 0.9, 2],  # dining table
            [5, 5, 20, 20, 0.8, 1],  # bench
            [1, 1, 4, 4, 0.7, 9],  # an id the model does not have
            [2, 2, 6, 6, 0.6, 0],  # person
        ],
        np.float32,
    )
    lookup = map_classes(tuple(COCO_LIKE), COCO_MAP, "m.onnx").lookup
    xyxy, scores, class_id = decode_end2end(rows, 0.25, lookup)
    assert class_id.tolist() == [0, 2] and scores.tolist() == pytest.approx([0.9, 0.6])
    assert xyxy.tolist() == [[0, 0, 10, 10], [2, 2, 6, 6]]
