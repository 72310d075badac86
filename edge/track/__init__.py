"""Multi-object tracking (ByteTrack-style), numpy only."""

from streetorder.edge.track.bytetrack import ByteTracker, TrackerSettings

__all__ = ["ByteTracker", "TrackerSettings"]
