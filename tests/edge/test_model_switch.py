"""The node's model switch without a broker: class ids kept in the vocabulary's order across
models, downloads checked against the announced sha256, and delivered models loaded again after
a restart (or the node's own model when they cannot be)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from streetorder.config.loader import validate_mapping
from streetorder.contracts import ConfigPush, ModelAssignment, ModelInfo, ModelRef
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.detect import OnnxDetector
from streetorder.edge.node import EdgeNode
from streetorder.edge.runtime.config_push import ActiveConfigStore
from streetorder.edge.runtime.default import default_runtime
from streetorder.edge.runtime.model_fetch import ModelFiles
from streetorder.edge.runtime.models import CameraDetector, Loaded
from streetorder.errors import StreetorderError
from streetorder.vocabulary import CLASS_NAMES
from tests.edge.node_support import ScriptedSource
from tests.support.model_bundles import detector_bytes

NAMES = list(CLASS_NAMES)
BOXES = [(16.0, 40.0, 12.0, 10.0, "goods", 0.9), (48.0, 40.0, 12.0, 10.0, "rack", 0.8),
         (32.0, 20.0, 8.0, 8.0, "car", 0.7)]  # fmt: skip


def test_a_camera_keeps_vocabulary_class_ids_whatever_order_its_model_speaks(tmp_path) -> None:
    own = tmp_path / "own.onnx"
    own.write_bytes(detector_bytes(NAMES, BOXES[:2]))
    other = tmp_path / "other.onnx"
    other.write_bytes(detector_bytes(["car", "rack", "goods"], BOXES))
    lock = threading.Lock()
    first = OnnxDetector(own)
    camera = CameraDetector(Loaded(first, first.info), lock)
    frame = np.zeros((64, 64, 3), np.uint8)
    before = camera(frame)
    assert sorted(NAMES[i] for i in before.class_id) == ["goods", "rack"]
    second = OnnxDetector(other)  # "car" is no project class: dropped by the class map
    camera.swap(Loaded(second, ModelInfo(name="det", version="2")))
    after = camera(frame)
    assert sorted(NAMES[i] for i in after.class_id) == ["goods", "rack"]
    assert camera.names == CLASS_NAMES and camera.info.version == "2"
    assert camera.model_names == ("car", "rack", "goods")  # the model's own, before any map


@contextmanager
def http_file(data: bytes) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def ref_for(data: bytes, url: str = "/api/v1/models/1/file", **extra) -> ModelRef:
    fields = {"name": "det", "version": "2", "sha256": hashlib.sha256(data).hexdigest(),
              "size_bytes": len(data), "url": url, **extra}  # fmt: skip
    return ModelRef(**fields)


def test_downloads_are_checked_kept_and_not_fetched_twice(tmp_path: Path) -> None:
    data = detector_bytes(NAMES, BOXES[:1])
    with http_file(data) as url:
        files = ModelFiles(tmp_path / "models", url, "node-token")
        path = files.fetch(ref_for(data))
        assert path.read_bytes() == data and path.name == f"{hashlib.sha256(data).hexdigest()}.onnx"
    assert files.fetch(ref_for(data)) == path  # the server is gone: the kept file serves
    other = detector_bytes(NAMES, BOXES[1:2])
    with http_file(other) as url:
        files = ModelFiles(tmp_path / "models", url, None)
        bad = ref_for(data, sha256="f" * 64)
        with pytest.raises(StreetorderError, match="is not the announced"):
            files.fetch(bad)
        with pytest.raises(StreetorderError, match="more than the announced 10 bytes"):
            files.fetch(ref_for(other, size_bytes=10))
    assert not list((tmp_path / "models").glob("*.part")) and not files.path(bad).exists()
    with pytest.raises(StreetorderError, match="platform.url is not set"):
        ModelFiles(tmp_path / "m2", None, None).fetch(ref_for(other))


def node_config(tmp_path: Path, url: str | None = None) -> EdgeNodeConfig:
    own = tmp_path / "own.onnx"
    own.write_bytes(detector_bytes(NAMES, BOXES[:1]))
    zone = {"id": "z1", "shop_id": "s1", "polygon": [[0, 0], [1, 0], [1, 1]]}
    camera = {"id": "cam-01", "source": "test://good", "zones": [zone]}
    data = {
        "node_id": "n1",
        "storage": {"dir": str(tmp_path / "edge")},
        "model": {"path": str(own)},
        "platform": {"url": url},
        "cameras": [camera],
    }
    return validate_mapping(EdgeNodeConfig, data, "test node config")


def scripted(config, base_dir):
    runtime = default_runtime(config, base_dir)
    runtime.open_source = ScriptedSource
    return runtime


@pytest.mark.parametrize("kept", [True, False])
def test_a_restart_runs_the_delivered_model_again_or_says_it_runs_its_own(
    tmp_path: Path, kept: bool
) -> None:
    config = node_config(tmp_path, url="http://127.0.0.1:9")  # nothing listens there
    data = detector_bytes(NAMES, BOXES[:2])
    ref = ref_for(data)
    if kept:
        folder = tmp_path / "edge" / "models"
        folder.mkdir(parents=True)
        (folder / f"{ref.sha256}.onnx").write_bytes(data)
    models = ModelAssignment(cameras={"cam-01": ref})
    push = ConfigPush(
        node_id="n1", revision=4, cameras=config.cameras, issued_at=datetime.now(UTC), models=models
    )
    ActiveConfigStore(tmp_path / "edge" / "active_config.json").save(push)
    node = EdgeNode(config, base_dir=tmp_path, runtime=scripted)
    node.start()
    try:
        beat = node.heartbeat()
        assert node.revision == 4 and node.models == push.models
        [camera] = beat.cameras
        expected = "2" if kept else node.runtime.model.version  # type: ignore[union-attr]
        assert camera.model is not None and camera.model.version == expected
        assert beat.model == node.runtime.model  # type: ignore[union-attr]  # the node's own
    finally:
        node.stop()
