"""MQTT ingest: the consumer of edge messages and the publisher of config pushes."""
