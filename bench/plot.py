#!/usr/bin/env python3
"""Draws docs/benchmarks.svg from the figures the bench wrote with --json (standard library only).

    dotnet run -c Release --project bench/LyzerHub.Bench -- ingest --json ingest.json
    dotnet run -c Release --project bench/LyzerHub.Bench -- metrics --json metrics.json
    python3 bench/plot.py ingest.json metrics.json docs/benchmarks.svg

Three panels: ingest rates against the store baseline and the 100,000 events/s target; metric query medians
through the API against hand-written SQL, with the ratio and the 1.5x target; the hub process's resident memory
over the ingest run against the 300 MiB target.
"""
import json
import sys
from html import escape

WIDTH = 900
PANEL = 300
MARGIN_LEFT = 250
BAR_WIDTH = 560
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
BLUE, GREY, ORANGE, RED = "#3b6fb6", "#9aa5b1", "#e08a2e", "#c0392b"


def text(x, y, s, size=12, anchor="start", weight="normal", fill="#222"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" {FONT}>{escape(s)}</text>')


def rect(x, y, w, h, fill):
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}"/>'


def vline(x, y1, y2, colour, dash=True):
    style = ' stroke-dasharray="5,4"' if dash else ""
    return f'<line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="1.5"{style}/>'


def ingest_panel(d, top):
    out = [text(20, top + 24, f"Ingest: {d['events']:,} events, batches of {d['batch']:,}, "
                f"{d['clients']} clients, {d['cores']} cores ({d['date']}, load {d['load_average']})",
                14, weight="bold")]
    rows = [("store baseline (DuckDbEventStore)", d["baseline_events_per_second"], GREY),
            ("hub over HTTPS (in-process)", d["hub_events_per_second"], BLUE),
            ("hub over HTTPS (own process)", d["hub_process_events_per_second"], BLUE)]
    scale_max = max(100_000, max(r[1] for r in rows)) * 1.1
    scale = BAR_WIDTH / scale_max
    y = top + 50
    for label, value, colour in rows:
        out.append(text(MARGIN_LEFT - 10, y + 17, label, anchor="end"))
        out.append(rect(MARGIN_LEFT, y, value * scale, 26, colour))
        out.append(text(MARGIN_LEFT + value * scale + 6, y + 17, f"{value:,.0f} ev/s"))
        y += 40
    half = d["baseline_events_per_second"] / 2
    out.append(vline(MARGIN_LEFT + 100_000 * scale, top + 42, y, RED))
    out.append(text(MARGIN_LEFT + 100_000 * scale, y + 16, "target 100,000 ev/s", 11, "middle", fill=RED))
    out.append(vline(MARGIN_LEFT + half * scale, top + 42, y, ORANGE))
    out.append(text(MARGIN_LEFT + half * scale, y + 30, "target: half the baseline", 11, "middle", fill=ORANGE))
    return out


def metrics_panel(d, top):
    out = [text(20, top + 24, f"Metric queries: {d['events']:,} events in {d['tenants']} tenants, median of "
                f"{d['runs']} runs ({d['date']}, load {d['load_average']})", 14, weight="bold")]
    queries = d["queries"]
    scale = BAR_WIDTH / (max(max(q["api_ms"], q["sql_ms"]) for q in queries) * 1.6)
    y = top + 46
    for q in queries:
        ratio = q["api_ms"] / q["sql_ms"]
        colour = BLUE if ratio <= 1.5 else RED
        out.append(text(MARGIN_LEFT - 10, y + 20, q["query"], anchor="end"))
        out.append(rect(MARGIN_LEFT, y, q["api_ms"] * scale, 14, colour))
        out.append(text(MARGIN_LEFT + q["api_ms"] * scale + 6, y + 11,
                        f"API {q['api_ms']:.1f} ms: {ratio:.2f}x SQL, "
                        f"{'met' if ratio <= 1.5 else 'MISSED'} (target <= 1.5x)", 11))
        out.append(rect(MARGIN_LEFT, y + 16, q["sql_ms"] * scale, 14, GREY))
        out.append(text(MARGIN_LEFT + q["sql_ms"] * scale + 6, y + 27, f"SQL {q['sql_ms']:.1f} ms", 11))
        y += 50
    return out


def memory_panel(d, top):
    mib = 1024 * 1024
    samples = d["memory_samples"]
    peak = d["hub_process_peak_bytes"] / mib
    out = [text(20, top + 24, f"Hub process resident memory while ingesting (peak {peak:.0f} MiB, "
                "kernel high-water mark)", 14, weight="bold")]
    x0, y0, w, h = MARGIN_LEFT - 150, top + 40, BAR_WIDTH + 150, PANEL - 90
    end = max(s[0] for s in samples) or 1
    ceiling = max(350, peak * 1.15)
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>')
    for mark in range(0, int(ceiling) + 1, 50):
        y = y0 + h - mark / ceiling * h
        out.append(text(x0 - 6, y + 4, f"{mark}", 10, "end"))
    points = " ".join(f"{x0 + s[0] / end * w:.1f},{y0 + h - s[1] / mib / ceiling * h:.1f}" for s in samples)
    out.append(f'<polyline points="{points}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    target_y = y0 + h - 300 / ceiling * h
    out.append(f'<line x1="{x0}" y1="{target_y:.1f}" x2="{x0 + w}" y2="{target_y:.1f}" stroke="{RED}" '
               'stroke-width="1.5" stroke-dasharray="5,4"/>')
    out.append(text(x0 + w - 4, target_y - 5, "target 300 MiB", 11, "end", fill=RED))
    out.append(text(x0 + w / 2, y0 + h + 20, f"seconds into the run (0 to {end:.1f} s); MiB on the left", 11,
                    "middle"))
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ingest = json.load(open(sys.argv[1]))
    metrics = json.load(open(sys.argv[2]))
    height = 3 * PANEL + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}">', f'<rect width="{WIDTH}" height="{height}" fill="white"/>']
    parts += ingest_panel(ingest, 0)
    parts += metrics_panel(metrics, PANEL)
    parts += memory_panel(ingest, 2 * PANEL)
    parts.append("</svg>")
    with open(sys.argv[3], "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
