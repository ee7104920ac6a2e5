#!/bin/sh
# Headless Chromium for the HTML report's browser test: Debian's `chromium` package, installed only if missing.
# Needs root (or sudo) and apt; does nothing when /usr/bin/chromium is already there.
set -eu
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: apt-get not found; install Chromium so that $CHROMIUM exists" >&2
    exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine or container may have no package lists yet, or stale ones: refresh if the install fails.
if ! $SUDO apt-get install -y --no-install-recommends chromium; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends chromium
fi
"$CHROMIUM" --version
