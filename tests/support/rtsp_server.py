"""A real RTSP camera for tests: GStreamer's RTSP server, run by the *system* Python.

    /usr/bin/python3 tests/support/rtsp_server.py --port 8554 --path /cam \
        (--video clip.mp4 | --pattern 320x180,480x270) [--fps 10]

``--video`` serves an H.264 mp4 as it is (no re-encoding), in real time, from its start for
every new connection. ``--pattern`` encodes a moving test pattern live; SIGUSR1 switches every
running stream (and later connections) to the next size in the list, as a camera whose
resolution is changed by its operator does: new parameter sets in the middle of the stream.
SIGTERM/SIGINT stop the server; a test stalls the camera with SIGSTOP (the connection stays
open, nothing is sent) and reboots it with SIGKILL. Needs python3-gi and
gir1.2-gst-rtsp-server-1.0 (stdlib and GObject introspection only: no project imports).
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def video_launch(path: str) -> str:
    return (
        f'( filesrc location="{path}" ! qtdemux ! h264parse ! '
        "rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def pattern_launch(size: tuple[int, int], fps: int) -> str:
    width, height = size
    return (
        "( videotestsrc is-live=true pattern=ball ! "
        f"capsfilter name=size caps=video/x-raw,width={width},height={height},framerate={fps}/1 ! "
        "videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast threads=1 "
        f"key-int-max={fps} ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        width, height = item.lower().split("x")
        sizes.append((int(width), int(height)))
    return sizes


class Camera:
    """The server, its media factory and the sizes a pattern camera cycles through."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.fps = args.fps
        self.sizes = parse_sizes(args.pattern) if args.pattern else []
        self.size_index = 0
        self.live_media: list[GstRtspServer.RTSPMedia] = []
        self.factory = GstRtspServer.RTSPMediaFactory()
        self.factory.set_shared(False)  # every connection is a fresh stream, like a camera
        self.factory.set_launch(
            video_launch(args.video) if args.video else pattern_launch(self.sizes[0], self.fps)
        )
        self.factory.connect("media-configure", self._on_media)
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address("127.0.0.1")
        self.server.set_service(str(args.port))
        self.server.get_mount_points().add_factory(args.path, self.factory)

    def _on_media(self, _factory, media: GstRtspServer.RTSPMedia) -> None:
        self.live_media.append(media)
        media.connect("unprepared", lambda m: self.live_media.remove(m))

    def next_size(self) -> bool:
        if not self.sizes:
            return GLib.SOURCE_CONTINUE
        self.size_index = (self.size_index + 1) % len(self.sizes)
        width, height = self.sizes[self.size_index]
        self.factory.set_launch(pattern_launch((width, height), self.fps))
        caps = Gst.Caps.from_string(
            f"video/x-raw,width={width},height={height},framerate={self.fps}/1"
        )
        for media in self.live_media:
            capsfilter = media.get_element().get_by_name("size")
            if capsfilter is not None:
                capsfilter.set_property("caps", caps)
        print(f"size {width}x{height}", flush=True)
        return GLib.SOURCE_CONTINUE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--video", help="an H.264 mp4 to serve")
    source.add_argument("--pattern", help="sizes WxH[,WxH...] of a live test pattern")
    parser.add_argument("--fps", type=int, default=10)
    args = parser.parse_args()
    Gst.init(None)
    camera = Camera(args)
    loop = GLib.MainLoop()
    if camera.server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, camera.next_size)
    print(f"ready rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
