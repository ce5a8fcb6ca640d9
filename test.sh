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
# Suites run in lanes side by side, one suite at a time within a lane, so CI takes as long as the longest lane rather
# than the sum: the suites that start the whole AppHost share a lane (EndToEnd, then the fault suite, so two systems
# never compete for the 2 cores), Plugins is followed by Clusters (real Dask), and every other test project of the
# solution, new ones included, shares the last lane.
lanes=("Platform.EndToEnd.Tests Platform.Faults.Tests" "Platform.Plugins.Tests Platform.Clusters.Tests")
other_lane=()
for project in $(dotnet sln Platform.sln list | grep -E '^tests/[^/]+/[^/]+\.Tests\.csproj$'); do
  name=$(basename "$project" .csproj)
  [[ " ${lanes[*]} " == *" $name "* ]] || other_lane+=("$name")
done
lanes+=("${other_lane[*]}")
labels=("end-to-end+faults" "plugins+clusters" "others")

# A hung test fails the run instead of stalling CI. Each line of a lane's output starts with its lane's name.
run_lane() {
  local lane=$1 started=$SECONDS status=0 hang
  shift
  for name in "$@"; do
    # One fault test runs for 10-20 minutes on a loaded 2-core machine; it is not hung before 30.
    hang=10m
    [[ $name == Platform.Faults.Tests ]] && hang=30m
    dotnet test "tests/$name/$name.csproj" -c Release --no-build --nologo \
      --blame-hang --blame-hang-timeout "$hang" \
      --logger "console;verbosity=minimal" "${test_arguments[@]}" 2>&1 | sed -u "s/^/[$lane] /" || status=1
  done
  echo "[$lane] finished in $((SECONDS - started)) s with exit code $status"
  return $status
}

test_arguments=("$@")
pids=()
for index in "${!lanes[@]}"; do
  read -ra projects <<<"${lanes[$index]}"
  run_lane "${labels[$index]}" "${projects[@]}" &
  pids+=($!)
done

failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
exit $failed
