"""A private Prometheus server (Debian's package) scraping given targets every second."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.services import free_port, unavailable, wait_for_port

PROMETHEUS = "/usr/bin/prometheus"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """A /metrics page as {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@contextmanager
def private_prometheus(tmp: Path, targets: dict[str, str]) -> Iterator[PrometheusClient]:
    """``targets``: job name -> host:port whose /metrics Prometheus scrapes."""
    if not shutil.which(PROMETHEUS):
        unavailable("Debian's prometheus package is not installed")
    jobs = "\n".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']"
        for job, target in targets.items()
    )
    config = tmp / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n{jobs}\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp / "prometheus.log").open("wb"),
    )  # fmt: skip
    try:
        if not wait_for_port("127.0.0.1", port, timeout=30):
            raise RuntimeError(f"prometheus did not start: {(tmp / 'prometheus.log').read_text()}")
        yield PrometheusClient(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(20)


class PrometheusClient:
    def __init__(self, base: str) -> None:
        self.base = base

    def query(self, expr: str) -> list[dict]:
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict]:
        """The first non-empty result of ``expr`` (scrapes run every second)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                result = self.query(expr)
            except urllib.error.HTTPError as exc:  # 503 while Prometheus starts up
                if exc.code != 503:
                    raise
                result = []
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError(f"prometheus never had {expr!r}")
