"""Real RTSP cameras for tests: ``rtsp_server.py`` run by the system Python, one per camera.

The project's venv does not see Debian's python3-gi, so the server is a separate process run
by ``/usr/bin/python3``; a test reboots the camera by killing it, stalls it with SIGSTOP and
changes its resolution with SIGUSR1. Without GStreamer's RTSP server a test is skipped
locally and fails in CI (``scripts/setup.sh test`` installs it).
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.services import free_port, unavailable, wait_for_port

SYSTEM_PYTHON = os.environ.get("STREETORDER_GI_PYTHON", "/usr/bin/python3")
SERVER = Path(__file__).with_name("rtsp_server.py")
ELEMENTS = ("qtdemux", "h264parse", "rtph264pay", "videotestsrc", "x264enc")
_PROBE = f"""
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
missing = [e for e in {ELEMENTS!r} if Gst.ElementFactory.find(e) is None]
print(" ".join(missing))
"""


@functools.cache
def missing_server() -> str | None:
    """Why no RTSP server can run here, or None."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found (python3-gi runs the RTSP server)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"GStreamer's RTSP server is not usable from {SYSTEM_PYTHON}: {last}"
    if probe.stdout.strip():
        return f"GStreamer elements missing: {probe.stdout.strip()}"
    return None


@dataclass
class RtspCamera:
    """One RTSP server process serving a video file or a live test pattern at ``url``."""

    workdir: Path
    path: str = "/cam"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    def serve_video(self, video: Path) -> RtspCamera:
        return self._start(["--video", str(video)])

    def serve_pattern(self, *sizes: tuple[int, int], fps: int = 10) -> RtspCamera:
        text = ",".join(f"{w}x{h}" for w, h in sizes)
        return self._start(["--pattern", text, "--fps", str(fps)])

    def _start(self, args: list[str]) -> RtspCamera:
        reason = missing_server()
        if reason:
            unavailable(reason)
        self.stop()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = args
        cmd = [SYSTEM_PYTHON, str(SERVER), "--port", str(self.port), "--path", self.path, *args]
        with open(self.workdir / "rtsp.log", "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        if not wait_for_port("127.0.0.1", self.port, 20):
            self.stop()
            raise RuntimeError(f"RTSP server did not listen on {self.port}: {self.log()}")
        return self

    def log(self) -> str:
        path = self.workdir / "rtsp.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def kill(self) -> None:
        """Power loss: the process dies at once, its connections with it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def stall(self) -> None:
        """The camera hangs: its connections stay open and nothing more is sent."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def next_size(self) -> None:
        """The operator changes the resolution: the running stream switches size."""
        self._signal(signal.SIGUSR1)

    def _signal(self, signum: int) -> None:
        assert self.process is not None and self.process.poll() is None, "server not running"
        self.process.send_signal(signum)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stalled server must wake to stop
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
