"""Multi-object tracking (ByteTrack-style), numpy + scipy only."""

from streetorder.edge.track.bytetrack import ByteTracker, TrackerSettings

__all__ = ["ByteTracker", "TrackerSettings"]
