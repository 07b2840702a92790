#!/usr/bin/env bash
# The `make run` demo; replaced as the supervisor comes together.
set -euo pipefail
bin=${1:-bin/supervise}
"$bin" check -c examples/demo.conf
