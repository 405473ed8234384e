#!/usr/bin/env bash
# Debian's chromium for the browser tests, installed from Debian's packages when it is missing.
# Installing a system package needs root (or sudo); without either, say so and stop.
set -euo pipefail

if [ -n "${CAIRN_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "The browser tests need Debian's chromium: run 'apt-get install chromium' as root," >&2
  echo "or set CAIRN_CHROMIUM to a Chromium executable." >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium >/dev/null
