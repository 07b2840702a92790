#!/usr/bin/env python3
"""A small but real PyTorch training loop for the supervise image.

It trains an MLP to imitate a fixed random "teacher" network on synthetic
data, shows a tqdm bar, writes periodic checkpoints and resumes from the
newest one, and treats SIGTERM/SIGINT as "save a checkpoint and exit 0" so
that `docker stop` (supervise's stop_signal) never loses work.

It runs on the first visible GPU when CUDA is available and on the CPU
otherwise, and prints what it sees (device, CUDA_VISIBLE_DEVICES) so the
effect of supervise's `gpus =` key is visible in the log.

Every flag has an environment default (TRAIN_STEPS, CKPT_DIR, ...) so the
same services.conf line works in the image and in the end-to-end tests.

`--prune` is the cron mode: keep the newest --keep checkpoints, delete the
rest, exit. It does not import torch, so it is cheap to run often.
"""

import argparse
import glob
import os
import re
import signal
import sys
import time

CKPT_RE = re.compile(r"^ckpt-(\d{8})\.pt$")


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value else default


def env_float(name, default):
    value = os.environ.get(name, "")
    return float(value) if value else default


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=env_int("TRAIN_STEPS", 10000),
                   help="total optimizer steps (env TRAIN_STEPS)")
    p.add_argument("--ckpt-dir", default=os.environ.get("CKPT_DIR") or "checkpoints",
                   help="checkpoint directory (env CKPT_DIR)")
    p.add_argument("--ckpt-every", type=int, default=env_int("CKPT_EVERY", 500),
                   help="checkpoint every N steps (env CKPT_EVERY)")
    p.add_argument("--batch-size", type=int, default=env_int("TRAIN_BATCH", 256))
    p.add_argument("--width", type=int, default=env_int("TRAIN_WIDTH", 256),
                   help="hidden width of the MLP (env TRAIN_WIDTH)")
    p.add_argument("--lr", type=float, default=env_float("TRAIN_LR", 1e-3))
    p.add_argument("--seed", type=int, default=env_int("TRAIN_SEED", 0))
    p.add_argument("--threads", type=int, default=env_int("TRAIN_THREADS", 0),
                   help="CPU threads for torch; 0 keeps torch's default (env TRAIN_THREADS)")
    p.add_argument("--bar-mininterval", type=float,
                   default=env_float("TRAIN_BAR_MININTERVAL", 0.1),
                   help="seconds between tqdm redraws; 0 redraws every step")
    p.add_argument("--step-delay", type=float, default=env_float("TRAIN_STEP_DELAY", 0.0),
                   help="seconds to sleep after each step, standing in for a slow data "
                        "loader; the e2e suite uses it to leave the CPU to the other services")
    p.add_argument("--prune", action="store_true",
                   help="delete all but the newest --keep checkpoints and exit")
    p.add_argument("--keep", type=int, default=env_int("CKPT_KEEP", 3),
                   help="checkpoints kept by --prune (env CKPT_KEEP)")
    args = p.parse_args(argv)
    if args.steps < 0 or args.step_delay < 0:
        p.error("--steps and --step-delay must be >= 0")
    if args.ckpt_every < 1 or args.batch_size < 1 or args.width < 1 or args.keep < 1:
        p.error("--ckpt-every, --batch-size, --width and --keep must be >= 1")
    return args


def checkpoints(ckpt_dir):
    """Complete checkpoints, oldest first. Partial writes are *.tmp and never match."""
    found = []
    for path in glob.glob(os.path.join(glob.escape(ckpt_dir), "ckpt-*.pt")):
        m = CKPT_RE.match(os.path.basename(path))
        if m:
            found.append((int(m.group(1)), path))
    found.sort()
    return [path for _, path in found]


def prune(ckpt_dir, keep):
    paths = checkpoints(ckpt_dir)
    doomed = paths[:-keep] if len(paths) > keep else []
    for path in doomed:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass  # a concurrent prune got there first
    print(f"prune: {ckpt_dir}: kept {len(paths) - len(doomed)}, deleted {len(doomed)}", flush=True)
    return 0


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it between steps so a checkpoint
    is never written from inside a signal handler or half-way through a step."""

    def __init__(self):
        self.signum = 0
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, signum, _frame):
        self.signum = signum


def save(torch, ckpt_dir, step, model, opt, loss):
    os.makedirs(ckpt_dir, exist_ok=True)
    final = os.path.join(ckpt_dir, f"ckpt-{step:08d}.pt")
    tmp = final + ".tmp"
    with open(tmp, "wb") as f:
        torch.save({"step": step, "model": model.state_dict(),
                    "optimizer": opt.state_dict(), "loss": loss}, f)
        f.flush()
        os.fsync(f.fileno())
    # rename after fsync: a crash leaves either the old set or the new file, never half of one.
    os.replace(tmp, final)
    dfd = os.open(ckpt_dir, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return final


def train(args):
    stop = StopFlag()  # before the slow torch import, so an early TERM is not fatal
    import torch
    from torch import nn
    from tqdm import tqdm

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    device = torch.device("cuda:0" if cuda else "cpu")
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    print(f"train: torch {torch.__version__} device={device} ({name}) "
          f"cuda_available={cuda} cuda_device_count={torch.cuda.device_count() if cuda else 0} "
          f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}",
          flush=True)

    torch.manual_seed(args.seed)
    dim = 32
    teacher = nn.Sequential(nn.Linear(dim, 64), nn.Tanh(), nn.Linear(64, 1)).to(device)
    for p in teacher.parameters():
        p.requires_grad_(False)
    model = nn.Sequential(nn.Linear(dim, args.width), nn.ReLU(),
                          nn.Linear(args.width, args.width), nn.ReLU(),
                          nn.Linear(args.width, 1)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()

    start = 0
    existing = checkpoints(args.ckpt_dir)
    if existing:
        state = torch.load(existing[-1], map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start = int(state["step"])
        print(f"train: resumed from {existing[-1]} at step {start}", flush=True)
    print(f"train: steps {start}..{args.steps} batch={args.batch_size} "
          f"checkpoint every {args.ckpt_every} to {args.ckpt_dir}", flush=True)

    step, loss_value = start, float("nan")
    last_saved = start if existing else -1
    t0 = time.monotonic()
    bar = tqdm(total=args.steps, initial=start, desc="train", unit="step",
               mininterval=args.bar_mininterval, miniters=1, file=sys.stdout,
               dynamic_ncols=False, ncols=100)
    model.train()
    while step < args.steps and not stop.signum:
        x = torch.randn(args.batch_size, dim, device=device)
        y = teacher(x)
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0 or step == args.steps:
            loss_value = loss.item()  # .item() syncs the GPU; not every step
            bar.set_postfix(loss=f"{loss_value:.4f}", refresh=False)
        bar.update(1)
        if args.step_delay > 0:
            time.sleep(args.step_delay)
        if step % args.ckpt_every == 0:
            save(torch, args.ckpt_dir, step, model, opt, loss_value)
            last_saved = step
    bar.close()

    if step != last_saved:
        path = save(torch, args.ckpt_dir, step, model, opt, loss.item() if step > start else loss_value)
    else:
        path = checkpoints(args.ckpt_dir)[-1] if checkpoints(args.ckpt_dir) else "(none)"
    rate = (step - start) / max(time.monotonic() - t0, 1e-9)
    if stop.signum:
        print(f"train: {signal.Signals(stop.signum).name} at step {step}: "
              f"checkpoint {path}; exiting 0", flush=True)
    else:
        print(f"train: done: {step} steps ({rate:.0f} steps/s), final loss {loss_value:.4f}, "
              f"checkpoint {path}", flush=True)
    return 0


def main(argv):
    args = parse_args(argv)
    if args.prune:
        return prune(args.ckpt_dir, args.keep)
    return train(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
