"""Getting messages and evidence off the edge box: durable outbox, MQTT link, HTTP upload."""
