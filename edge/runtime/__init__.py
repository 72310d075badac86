"""The running edge node: camera workers, config pushes, heartbeat (composed by edge/node.py)."""
