#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine with Python 3.11: virtual environment, the
# project with the extras a profile needs, and (for tests) Mosquitto, PostgreSQL, Chromium and
# GStreamer's RTSP server from Debian's packages, the services started when they are not
# running. Usage: scripts/setup.sh demo|test
set -euo pipefail
profile=${1:-demo}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 is required" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then apt_install python3-venv; fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$python" -m venv .venv
fi

case "$profile" in
  demo) extras="demo" ;;
  test) extras="dev,train" ;;
  *) echo "setup: unknown profile $profile (demo|test)" >&2; exit 1 ;;
esac

stamp=".venv/.installed-$profile"
fingerprint=$(cat pyproject.toml setup.py | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
  say "installing streetorder[$extras] (first run takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip setuptools wheel
  .venv/bin/python -m pip install -q -e ".[$extras]"
  echo "$fingerprint" > "$stamp"
fi

if [ "$profile" = test ]; then
  port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  apt_install mosquitto postgresql chromium prometheus
  # a real RTSP camera for the edge tests (tests/support/rtsp_server.py, run by the system Python)
  apt_install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp gstreamer1.0-plugins-base \
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  if ! port_open 1883; then
    say "starting mosquitto on 127.0.0.1:1883"
    as_root mkdir -p /run/mosquitto && as_root chown mosquitto: /run/mosquitto 2>/dev/null || true
    as_root mosquitto -d -c /etc/mosquitto/mosquitto.conf
  fi
  if ! port_open 5432; then
    say "starting postgresql on 127.0.0.1:5432"
    version=$(ls /etc/postgresql | sort -V | tail -1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q "streetorder-test" "$hba"; then
      as_root sed -i '1i host all postgres 127.0.0.1/32 trust # streetorder-test' "$hba"
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  for _ in $(seq 1 50); do port_open 1883 && port_open 5432 && break; sleep 0.2; done
  port_open 1883 || { echo "setup: mosquitto is not reachable on 1883" >&2; exit 1; }
  port_open 5432 || { echo "setup: postgresql is not reachable on 5432" >&2; exit 1; }
fi
say "ready ($profile)"
