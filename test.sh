#!/usr/bin/env bash
# Installs what the tests need and runs every test: unit, integration (real PostgreSQL, RabbitMQ, Dask,
# JupyterHub) and end-to-end (the AppHost started as a user would).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the integration tests start as private servers on 127.0.0.1 (never the system services), and
# the Chromium that Playwright drives to open the dashboard (no Playwright browser download).
packages=(postgresql rabbitmq-server python3-distributed jupyterhub chromium)
missing=()
# The manifest tests check published YAML with `kubectl kustomize` (offline); Debian's kubectl if none is there.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
# Without a minio binary the object store is s3rver, an npm package run with node.
command -v minio >/dev/null || command -v npm >/dev/null || packages+=(nodejs npm)
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v minio >/dev/null && [[ ! -f tools/s3rver/node_modules/s3rver/bin/s3rver.js ]]; then
  echo "test.sh: installing s3rver into tools/s3rver (npm ci)"
  npm ci --prefix tools/s3rver --no-audit --no-fund --loglevel=error
fi

dotnet build Platform.sln -c Release -warnaserror -nologo -v:q
# One style, decided by .editorconfig: formatting drift fails the run like a failing test.
dotnet format Platform.sln --verify-no-changes --no-restore -v:q
# A hung test fails the run instead of stalling CI.
dotnet test Platform.sln -c Release --no-build --nologo \
  --blame-hang --blame-hang-timeout 10m \
  --logger "console;verbosity=minimal" "$@"
