"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) into its top entries: for each
function, the share of samples it was on the stack (inclusive) and at the top (self)."""

import re
import sys
from collections import Counter
from pathlib import Path

# Frames every task has (the worker's loop, the pool, the CLI): not informative.
SKIP = ("celery/", "billiard/", "click/", "kombu/", "runpy", "celery.py", "asgiref/", "vine/")


# Frames that mark a sample as work (a task, a request), not a pool or server waiting.
TASKS = ("notifications/", "celery/app/trace")
REQUESTS = ("django/core/handlers/",)


def summarise(raw_path, out_path, top: int = 30, keep: tuple = TASKS) -> str:
    inclusive, own = Counter(), Counter()
    total = 0
    for line in Path(raw_path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        if not any(k in f for f in frames for k in keep):
            continue  # the pool's or the server's idle loop: not the hot path
        total += n
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
    lines = [
        f"{raw_path}: {total} samples in {'requests' if keep == REQUESTS else 'tasks'}",
        "",
        "inclusive %  self %  function",
    ]
    for f, n in inclusive.most_common(top * 3):
        if "process " in f or "<module>" in f or any(x in f for x in SKIP):
            continue
        lines.append(f"{100 * n / total:9.1f}  {100 * own[f] / total:6.1f}  {f}")
        if len(lines) > top + 3:
            break
    lines += ["", "self %  function (top self time)"]
    for f, n in own.most_common(top):
        lines.append(f"{100 * n / total:6.1f}  {f}")
    text = "\n".join(lines) + "\n"
    Path(out_path).write_text(text)
    return text


if __name__ == "__main__":
    print(summarise(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/dev/stdout"))
