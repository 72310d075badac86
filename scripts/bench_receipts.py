"""The platform's cost of end-to-end receipts per ingested message.

After each committed batch the ingest consumer builds one receipt line per alert or episode
end, groups them per node into ``Receipt`` messages (≤ 500 entries) and publishes them QoS 1.
This measures that path's CPU time per message (process time, so other load on the machine
counts less than in wall time), against a real broker:

    .venv/bin/python scripts/bench_receipts.py --batch 500 --nodes 20 --rounds 40

Compare with the consumer's CPU per alert in docs/PERFORMANCE.md (Ingest).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from streetorder.contracts import encode
from streetorder.platform.ingest import receipts


def one_batch(client: mqtt.Client, batch: int, nodes: int, round_no: int) -> float:
    start = time.process_time()
    lines = [
        receipts.line(f"bench-{i % nodes}", "alert", f"al-{round_no}-{i}", "stored")
        for i in range(batch)
    ]
    infos = [
        client.publish(topic, encode(receipt), qos=1)
        for topic, receipt in receipts.receipts(lines, datetime.now(UTC))
    ]
    elapsed = time.process_time() - start
    for info in infos:
        info.wait_for_publish(10)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mqtt", default="127.0.0.1:1883")
    parser.add_argument("--batch", type=int, default=500, help="messages per committed batch")
    parser.add_argument("--nodes", type=int, default=20, help="nodes the batch comes from")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    host, port = args.mqtt.rsplit(":", 1)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bench-receipts-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )  # fmt: skip
    client.connect(host, int(port))
    client.loop_start()
    try:
        one_batch(client, args.batch, args.nodes, -1)  # warm up
        per_message = [
            one_batch(client, args.batch, args.nodes, r) / args.batch * 1e6
            for r in range(args.rounds)
        ]
    finally:
        client.disconnect()
        client.loop_stop()
    per_message.sort()
    print(
        f"receipts: batch {args.batch}, {args.nodes} node(s), {args.rounds} rounds: CPU per "
        f"message median {statistics.median(per_message):.1f} µs, "
        f"p90 {per_message[int(0.9 * len(per_message))]:.1f} µs"
    )


if __name__ == "__main__":
    main()
