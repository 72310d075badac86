"""An S3-protocol server for tests: moto's server (PyPI ``moto[server]``) on a free port.

It speaks the S3 REST protocol over HTTP, so the store's real client code (boto3) runs against
it unchanged; production uses a real object store (MinIO, Ceph RGW, OSS, COS, AWS S3).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import free_port, unavailable, wait_for_port

KEY_ID, SECRET = "streetorder-test", "streetorder-test-secret"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
            aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
            config=Config(s3={"addressing_style": "path"}),
        )  # fmt: skip

    def new_bucket(self) -> str:
        name = f"evidence-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


@contextmanager
def s3_server(workdir: Path) -> Iterator[S3Server]:
    binary = shutil.which("moto_server") or str(Path(__file__).parents[2] / ".venv/bin/moto_server")
    if not Path(binary).exists():
        unavailable("moto_server (pip install 'moto[server]') is not installed")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "moto.log").open("wb")
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        if not wait_for_port("127.0.0.1", port, timeout=30):
            raise RuntimeError(f"the S3 server did not start: {(workdir / 'moto.log').read_text()}")
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(10)
        log.close()
