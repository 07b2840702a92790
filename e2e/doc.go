// Package e2e is the end-to-end suite: the real supervise binary as PID 1 of
// a fresh PID namespace (unshare --pid --fork --mount-proc) running
// docker/services.conf with real sshd, Jupyter and PyTorch, driven from the
// outside the way an operator would (ssh, HTTP, `supervise ctl`, signals).
//
// The tests are behind the e2e build tag and need root; run them with
//
//	e2e/run.sh bin/supervise
//
// which installs the Debian packages they need and creates the jupyter user.
package e2e
