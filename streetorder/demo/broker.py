"""The demo's MQTT broker: a configured one, a private Mosquitto, or an embedded amqtt.

Production and tests use Mosquitto. The embedded broker exists only so that the demo runs on a
machine with nothing installed; it speaks MQTT 3.1.1 without shared subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from streetorder.demo.net import connect_error, free_port, wait_for_port
from streetorder.errors import StreetorderError

log = logging.getLogger(__name__)


@dataclass
class RunningBroker:
    host: str
    port: int
    kind: str  # "configured" | "mosquitto" | "embedded"
    _stop: object = None

    @property
    def protocol(self) -> str:
        """The embedded broker speaks MQTT 3.1.1 only; Mosquitto speaks 5."""
        return "3.1.1" if self.kind == "embedded" else "5"

    def config(self, **extra: object):
        from streetorder.config.common import BrokerConfig

        return BrokerConfig(host=self.host, port=self.port, protocol=self.protocol, **extra)

    def stop(self) -> None:
        if callable(self._stop):
            self._stop()


def start_private_mosquitto(workdir: Path) -> RunningBroker:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    # its own session: a Ctrl-C in the terminal reaches the demo alone, which stops the
    # platform first and the broker last (no "disconnected" warnings on the way out)
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    if not wait_for_port(port, 10):
        proc.kill()
        raise StreetorderError("could not start a private mosquitto for the demo")

    def stop() -> None:
        proc.terminate()
        proc.wait(10)

    return RunningBroker("127.0.0.1", port, "mosquitto", stop)


def start_embedded_broker() -> RunningBroker:
    """Run an amqtt broker on a free loopback port in a background thread."""
    try:
        from amqtt.broker import Broker
    except ImportError:
        raise StreetorderError(
            "no MQTT broker: install mosquitto, pass --broker HOST:PORT, or install the demo extra"
        ) from None
    # amqtt logs every state change and each bare TCP probe; the demo's own lines say enough
    logging.getLogger("amqtt").setLevel(logging.CRITICAL)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    port = free_port()
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        broker = Broker(config, loop=loop)
        holder["broker"] = broker
        loop.run_until_complete(broker.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="embedded-mqtt", daemon=True)
    thread.start()
    if not ready.wait(15) or not wait_for_port(port, 5):
        raise StreetorderError("the embedded MQTT broker did not start")

    def stop() -> None:
        broker = holder["broker"]
        fut = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
        try:
            fut.result(10)
        except Exception as exc:  # shutting down a demo broker must not mask the demo's result
            log.debug("embedded broker shutdown: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return RunningBroker("127.0.0.1", port, "embedded", stop)


def start_demo_broker(spec: str | None, prefer: str = "auto") -> RunningBroker:
    """``spec`` "host:port" uses that broker; otherwise a private Mosquitto or amqtt."""
    if spec:
        host, _, port = spec.rpartition(":")
        if not host or not port.isdigit():
            raise StreetorderError(f"--broker must be HOST:PORT, got {spec!r}")
        error = connect_error(host, int(port), 5.0)
        if error is not None:
            raise StreetorderError(f"MQTT broker {host}:{port} (--broker): cannot connect: {error}")
        return RunningBroker(host, int(port), "configured")
    if prefer in ("auto", "mosquitto") and (
        shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()
    ):
        return start_private_mosquitto(Path(tempfile.mkdtemp(prefix="so-demo-mqtt-")))
    if prefer == "mosquitto":
        raise StreetorderError("mosquitto is not installed")
    return start_embedded_broker()
