"""The results chart (PNG): latency distribution per offered load, deliveries per second over
time for each burst, queue depth over time. matplotlib runs in ``var/bench/tools``, a venv the
bench makes at run time (with py-spy for ``--profile``); nothing of it is in the lock file.

    var/bench/tools/bin/python bench/chart.py bench/results/bench-<stamp>.json out.png"""

import json
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / "var" / "bench" / "tools"
TOOL_PACKAGES = ["matplotlib", "py-spy"]


def tools_python() -> str:
    python = TOOLS / "bin" / "python"
    if not (
        python.exists()
        and subprocess.run([str(python), "-c", "import matplotlib"], capture_output=True).returncode == 0
        and (TOOLS / "bin" / "py-spy").exists()
    ):
        print("bench: installing matplotlib and py-spy into var/bench/tools (from PyPI)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TOOLS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *TOOL_PACKAGES], check=True)
    return str(python)


def render(json_path, png_path) -> None:
    subprocess.run([tools_python(), str(Path(__file__).resolve()), str(json_path), str(png_path)], check=True)
    print(f"bench: wrote {png_path}", flush=True)


def _draw(json_path, png_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(Path(json_path).read_text())
    sc = data["scenarios"]
    fig, axes = plt.subplots(3, 1, figsize=(11, 13))
    ax = axes[0]
    for rate, r in (sc.get("latency") or {}).items():
        values = sorted(r.get("latencies_sample_ms") or [])
        if values:
            ax.plot(values, [i / len(values) for i in range(len(values))], label=f"{rate} events/s offered")
    ax.set_xscale("log")
    ax.set_xlabel("commit -> provider acceptance, ms (log)")
    ax.set_ylabel("share of deliveries")
    ax.set_title("Latency distribution (CDF) at fixed offered loads")
    ax.axvline(1000, color="grey", linestyle=":", label="1 s target")
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[1]
    for name in ("throughput", "email_only", "spike"):
        series = (sc.get(name) or {}).get("accepted_per_second") or []
        if series:
            ax.plot(range(len(series)), series, label=f"{name} ({sc[name]['events']} events)")
    ax.set_xlabel("seconds since the first commit")
    ax.set_ylabel("deliveries accepted per second")
    ax.set_title("Throughput over time")
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[2]
    samples = [s for s in data.get("samples", []) if "llen" in s and s.get("scenario") not in ("", "peers")]
    if samples:
        t = [s["t"] for s in samples]
        ax.plot(t, [s.get("pending_deliveries") or 0 for s in samples], label="pending + in-flight deliveries (DB)")
        ax.plot(t, [s.get("unprocessed_events") or 0 for s in samples], label="unprocessed events (DB)")
        for q in ("events", "email", "sms"):
            ax.plot(t, [s["llen"].get(q, 0) for s in samples], label=f"Redis LLEN {q}", alpha=0.7)
        spans = {}
        for s in samples:
            spans.setdefault(s["scenario"], [s["t"], s["t"]])[1] = s["t"]
        for name, (a, b) in spans.items():
            ax.axvspan(a, b, alpha=0.05)
            ax.text(a, ax.get_ylim()[1] * 0.95 if ax.get_ylim()[1] else 1, name, fontsize=7, rotation=90, va="top")
        ax.set_yscale("symlog")
        ax.set_ylim(bottom=0)  # depths are never negative
    ax.set_xlabel("seconds since the bench started")
    ax.set_ylabel("depth")
    ax.set_title("Queue depth over time (sampled every second)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    m = data["machine"]
    fig.suptitle(f"Waypost bench {data['started_at']} — {m['cores']} cores, commit {m['git_commit'][:10]}")
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)


if __name__ == "__main__":
    _draw(sys.argv[1], sys.argv[2])
