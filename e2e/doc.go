// Package e2e is the end-to-end suite: the real supervise binary as PID 1 of
// a fresh PID namespace (unshare --pid --fork --mount-proc) running
// docker/services.conf with real sshd, Jupyter and PyTorch, driven from the
// outside the way an operator would (ssh, HTTP, `supervise ctl`, signals,
// /proc). The config's ${VAR:-default}s point it at a temp dir and loopback
// ports; nothing of the host's sshd, Jupyter or /etc/ssh is touched.
//
// Scenarios:
//   - TestStack, one box through its life: ctl status (table and JSON), ctl
//     tail, ctl health (also through SUPERVISE_SOCKET, as the HEALTHCHECK
//     runs it); an ssh login with a generated key against the host key the
//     ssh-keygen oneshot made, and a job it leaves behind re-parented to
//     PID 1 and reaped; ctl restart sshd; train.py sees gpus = 0 as
//     CUDA_VISIBLE_DEVICES; the cron job prunes checkpoints; ctl rotate
//     jupyter twice while 900 numbered lines go through Jupyter's log (all
//     back in order from .2.gz, .1 and the live file, and through
//     `supervise logs`; gzip -t, delay_compress, owner and mode); a kernel
//     started through Jupyter's REST API ends with ctl stop jupyter, and an
//     orphaned kernel of a SIGKILLed Jupyter is reaped, without zombies;
//     /metrics; events (stderr, event_command, a webhook); SIGTERM to PID 1:
//     train checkpoints and exits 0, every service logs its stop, supervise
//     exits 0 within shutdown_timeout, ctl then answers 3.
//   - TestTrainRunsToCompletion: train as `main` finishes; supervise stops
//     the rest and exits 0; 1500 tqdm redraws collapse to a few timestamped
//     lines ending with the final bar.
//   - TestTrainFailureIsExitCode: a failing main goes fatal after
//     max_restarts and supervise exits with its code.
//   - TestLogDiskFull: the log directory on a 4 MiB tmpfs filled past
//     disk_min_free while Jupyter logs numbered lines: Jupyter and training
//     go on, dropped_bytes counts the loss, and once space returns one
//     `supervise: dropped N bytes (disk low)` line (N = dropped_bytes) is
//     followed by every later line.
//   - TestCheckReferenceConfig, TestCheckK8sConfig: `supervise check` on the
//     shipped config and on the Kubernetes ConfigMap's.
//
// The tests are behind the e2e build tag and need root; run them with
//
//	e2e/run.sh bin/supervise [go test flags, e.g. -run TestStack]
//
// which installs the Debian packages they need and creates the jupyter user.
// E2E_KEEP=1 keeps a failed box's directory (logs, supervise's stderr),
// E2E_KEEP=all every box's.
package e2e
