"""Benchmark of filing with a phone's photo (issue 18, item 4), in one run on one machine.

  (A) filing without a photo: POST /api/v1/requests, as citizens.py files;
  (B) filing with one 3 MB phone photo: POST /api/v1/photos (multipart, a 12 MP JPEG with the
      phone's EXIF and GPS, `use_location=true`), then POST /api/v1/requests with its photo_id —
      one filing is both, timed from the upload's start to the filing's answer.

A and B alternate (A B A B …) against the same service process, each run `--seconds` long with
`--concurrency` clients, so that a slower minute of the shared machine falls on both. For each run:
filings/s, p50/p99, and the service process's CPU seconds (utime + stime from /proc, its threads
included: the photo workers are threads) per filing; for B, minus A's CPU per filing, the CPU a
photo costs. Also the CPU of `process_photo` alone for the same JPEG and for a HEIC of the same
size in this process, for comparison.

The clients are Python (httpx): a photo's filing is limited by the server's CPU long before the
client, but A's figure here is the client's ceiling as much as the service's; citizens.py measures
the filing path itself with wrk (the photo-less path is unchanged but for one test of an empty
tuple: `use_cases/filing.py`).

Run: `.venv/bin/python bench/photos.py` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import httpx
import uvloop
from common import bench_infra, save, start_service

from ecity_cli.infra import repo_root
from ecity_cli.testing_photos import phone_photo
from ecity_cli.tokens import service_token
from ecity_common.photos import process_photo

LOGS = repo_root() / ".state" / "bench"
BODY = {"service_code": "pothole", "attributes": {"size": "medium"}, "description": "Яма на дорозі біля зупинки",
        "lat": 50.9077, "long": 34.7981}
CITIZENS = 2000  # each filing is a different citizen's: under the creation limit (20 per 10 minutes)
TARGET_BYTES = 3 * 1024 * 1024


def phone_jpeg() -> bytes:
    """A 12 MP (4032×3024) JPEG of about 3 MB, with a phone's EXIF and GPS."""
    for noise in (24, 20, 16, 12, 10, 8, 6):
        data = phone_photo(4032, 3024, fmt="JPEG", orientation=1, quality=85, noise=noise)
        if len(data) <= TARGET_BYTES * 1.1:
            return data
    return data


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


async def run_once(url: str, pid: int, tokens: list[str], photo: bytes | None, seconds: float, concurrency: int,
                   start: int) -> dict:
    latencies: list[float] = []
    failures: dict[str, int] = {}
    counter = iter(range(start, 10**9))
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient):
        while time.monotonic() < deadline:
            n = next(counter)
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            began = time.monotonic()
            body = dict(BODY)
            if photo is not None:
                uploaded = await client.post("/api/v1/photos", headers=headers, data={"use_location": "true"},
                                             files={"file": ("IMG_0001.JPG", photo, "image/jpeg")})
                if uploaded.status_code != 201:
                    failures[f"upload {uploaded.status_code}"] = failures.get(f"upload {uploaded.status_code}", 0) + 1
                    continue
                body["photo_ids"] = [uploaded.json()["photo_id"]]
            filed = await client.post("/api/v1/requests", headers=headers, json=body)
            if filed.status_code != 201:
                failures[f"filing {filed.status_code}"] = failures.get(f"filing {filed.status_code}", 0) + 1
                continue
            latencies.append((time.monotonic() - began) * 1000)

    cpu_before, began = cpu_seconds(pid), time.monotonic()
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    elapsed, cpu = time.monotonic() - began, cpu_seconds(pid) - cpu_before
    done = len(latencies)
    return {"with_photo": photo is not None, "filings": done, "per_s": done / elapsed, "p50_ms": pct(latencies, 0.5),
            "p99_ms": pct(latencies, 0.99), "cpu_s": cpu, "cpu_ms_per_filing": cpu / done * 1000 if done else None,
            "failures": failures, "load_average_1m": os.getloadavg()[0],
            "next": start + done + sum(failures.values()) + concurrency}


def in_process_cost(data: bytes, runs: int = 5) -> float:
    """CPU ms of process_photo alone (the median of `runs`), in this process."""
    costs = []
    for _ in range(runs):
        began = time.process_time()
        process_photo(data, read_location=True)
        costs.append((time.process_time() - began) * 1000)
    return statistics.median(costs)


async def run(seconds: float, concurrency: int, pairs: int) -> dict:
    photo = phone_jpeg()
    heic = phone_photo(4032, 3024, fmt="HEIF", orientation=1, quality=50, noise=8)
    results: dict = {"photo_bytes": len(photo), "photo_pixels": "4032x3024", "seconds": seconds,
                     "concurrency": concurrency, "process_photo_jpeg_cpu_ms": in_process_cost(photo),
                     "heic_bytes": len(heic), "process_photo_heic_cpu_ms": in_process_cost(heic), "runs": []}
    with bench_infra("photos") as (kafka, postgres):
        state = repo_root() / ".state" / "bench" / "photos"
        service = await start_service("citizen-requests", kafka, postgres, LOGS / "photos-citizen-requests.log",
                                      photo_directory=str(state / "store"))
        try:
            tokens = [service_token("citizen-requests", f"bench-photo-citizen-{i}", "citizen") for i in range(CITIZENS)]
            start = 0
            warm = await run_once(service.url, service.pid, tokens, photo, 5, concurrency, start)  # warm both paths
            start = warm["next"]
            for _ in range(pairs):
                for with_photo in (False, True):
                    measured = await run_once(service.url, service.pid, tokens, photo if with_photo else None, seconds,
                                              concurrency, start)
                    start = measured.pop("next")
                    results["runs"].append(measured)
                    print(("B photo   " if with_photo else "A no photo"),
                          f"{measured['per_s']:8.1f} filings/s  p50 {measured['p50_ms']:7.1f} ms  p99 {measured['p99_ms']:7.1f} ms"
                          f"  CPU {measured['cpu_ms_per_filing']:6.1f} ms/filing  load {measured['load_average_1m']:.1f}"
                          f"  {measured['failures'] or ''}", flush=True)
        finally:
            service.stop()
    a = [r for r in results["runs"] if not r["with_photo"]]
    b = [r for r in results["runs"] if r["with_photo"]]
    results["a_per_s"] = statistics.mean(r["per_s"] for r in a)
    results["b_per_s"] = statistics.mean(r["per_s"] for r in b)
    results["b_over_a"] = results["b_per_s"] / results["a_per_s"]
    results["cpu_ms_per_photo"] = (statistics.mean(r["cpu_ms_per_filing"] for r in b)
                                   - statistics.mean(r["cpu_ms_per_filing"] for r in a))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args()
    results = uvloop.run(run(args.seconds, args.concurrency, args.pairs))
    save("photos", results)
    print(f"photo {results['photo_bytes']:,} bytes (12 MP JPEG); HEIC {results['heic_bytes']:,} bytes")
    print(f"A without a photo: {results['a_per_s']:.1f} filings/s; B with one: {results['b_per_s']:.1f} filings/s "
          f"= {results['b_over_a']:.3f} × A")
    print(f"service CPU per photo: {results['cpu_ms_per_photo']:.0f} ms (process_photo alone: JPEG "
          f"{results['process_photo_jpeg_cpu_ms']:.0f} ms, HEIC {results['process_photo_heic_cpu_ms']:.0f} ms)")


if __name__ == "__main__":
    main()
