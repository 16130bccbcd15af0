"""Benchmark label printing: 3,000 labels on Avery 5160 sheets (100 pages) as one PDF.

Renders through the same code the API and `lending labels` use (lending.printing: encoding,
layout, vector bars), without a database: half the devices are hotspots with a Wi-Fi name,
password and support phone (six lines of text), half laptops. Prints the time, the process's
peak resident memory, the file size, and checks the targets (under 10 s, under 300 MB).

    .venv/bin/python bench/labels.py [--labels 3000] [--template avery-5160]
                                     [--symbology code128] [--out bench/out/labels.pdf]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lending.circulation.scan import luhn_check_digit  # noqa: E402
from lending.printing import LabelContent, labels_pdf, load_template, pages_needed  # noqa: E402

TARGET_S = 10.0
TARGET_MB = 300.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def labels(count: int) -> list[LabelContent]:
    items = []
    for i in range(count):
        payload = f"3{i:012d}"
        code = payload + str(luhn_check_digit(payload))
        if i % 2:
            items.append(LabelContent(code, "laptop", "Chromebook 11 G9", "Mesa County Libraries"))
        else:
            items.append(
                LabelContent(
                    code,
                    "hotspot",
                    "Franklin T10",
                    "Mesa County Libraries",
                    wifi_name=f"MCL-HOTSPOT-{i:04d}",
                    wifi_password=f"lend-{i * 7919 % 100000:05d}-wifi",
                    support_phone="+1 970 555 0100",
                )
            )
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=3000)
    parser.add_argument("--template", default="avery-5160")
    parser.add_argument("--symbology", default="code128")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "labels.pdf"))
    args = parser.parse_args()

    template = load_template(args.template)
    items = labels(args.labels)
    before = _rss_mb()
    started = time.perf_counter()
    content = labels_pdf(template, items, args.symbology, title="bench")
    elapsed = time.perf_counter() - started
    peak = _rss_mb()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)

    pages = pages_needed(template, len(items))
    print(f"labels:       {len(items)} on {template.name} ({pages} pages, {args.symbology})")
    print(f"time:         {elapsed:.2f} s ({elapsed / len(items) * 1000:.2f} ms a label)")
    print(f"peak memory:  {peak:.0f} MB resident (process; {before:.0f} MB before rendering)")
    print(f"file:         {len(content) / 1024:.0f} KiB -> {out}")
    ok = elapsed < TARGET_S and peak < TARGET_MB
    print(f"targets:      < {TARGET_S:.0f} s and < {TARGET_MB:.0f} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
