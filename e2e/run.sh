#!/usr/bin/env bash
# End-to-end suite: the real binary as PID 1 of a PID namespace running
# docker/services.conf with real sshd, Jupyter and PyTorch (see e2e/doc.go).
#   e2e/run.sh BIN [go test flags...]     e.g. e2e/run.sh bin/supervise -run TestStack
# As root it installs what is missing (Debian packages, the jupyter user);
# as anyone else it skips, since PID namespaces and sshd need root.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:?usage: e2e/run.sh BIN [go test flags]}
shift
bin=$(realpath "$bin")

if [ "$(id -u)" != 0 ]; then
	echo "e2e: SKIP: needs root (unshare --pid, sshd, a jupyter user); run as root or in CI"
	exit 0
fi

have_all() {
	[ -x /usr/sbin/sshd ] && [ -x /usr/bin/ssh ] && [ -x /usr/bin/jupyter ] &&
		/usr/bin/python3 -c 'import torch, tqdm, ipykernel' 2>/dev/null &&
		command -v unshare >/dev/null && command -v gzip >/dev/null && command -v curl >/dev/null
}
if ! have_all; then
	if ! command -v apt-get >/dev/null; then
		echo "e2e: FAIL: sshd, jupyter, python3-torch or python3-tqdm missing and no apt-get" >&2
		exit 1
	fi
	echo "e2e: installing openssh-server jupyter-notebook python3-torch python3-tqdm curl"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends openssh-server openssh-client \
		jupyter-notebook python3-ipykernel python3-torch python3-tqdm util-linux gzip curl >/dev/null
	have_all || { echo "e2e: FAIL: prerequisites still missing after apt-get" >&2; exit 1; }
fi
# Jupyter runs as this user in docker/services.conf, as in the image.
if ! id jupyter >/dev/null 2>&1; then
	useradd --create-home --shell /bin/bash --user-group jupyter
fi

exec "${GO:-go}" test -tags e2e -count=1 -timeout 8m -v "$@" ./e2e/ -args -bin "$bin"
