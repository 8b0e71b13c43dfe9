#!/usr/bin/env bash
# Container entry point: a GPU image points DJL at its libtorch, then the service (or a CLI command) starts.
set -euo pipefail
if [ "${TORCH_FLAVOR:-cpu}" != cpu ]; then
  export PYTORCH_LIBRARY_PATH=/opt/libtorch/lib PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR="$TORCH_FLAVOR"
fi
exec java -jar /app/latentserve.jar "$@"
