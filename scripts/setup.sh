#!/usr/bin/env bash
# Installs what seam needs to build, test and benchmark on Debian 12, and
# nothing that is already there.  Safe to run again; `make run` and
# `make test` call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential pkg-config clang libevent-dev libcurl4-openssl-dev
      libjansson-dev libyaml-dev libsqlite3-dev libsodium-dev libcmocka-dev
      nginx-light wrk nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
    # A Node.js that did not come from Debian (e.g. a newer one) serves as well.
    if [[ $p == nodejs || $p == npm ]] && command -v "${p/nodejs/node}" >/dev/null; then
        continue
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: run as root, or install these Debian packages: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts nginx on install; seam's benchmark starts its own.
    if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
        systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true
    fi
fi

# The end-to-end tests drive seam with the official SDKs, pinned by the lockfile.
if [[ -f tests/e2e/package-lock.json ]]; then
    if [[ ! -d tests/e2e/node_modules ]] || [[ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]]; then
        (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
        touch tests/e2e/node_modules
    fi
fi
