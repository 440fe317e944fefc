#!/usr/bin/env python3
"""How long an fdatasync of one WAL batch takes on this disk, three ways (the measurement behind FileDisk's
preallocation): appending (the file grows, so the inode is written too), overwriting zeros written ahead of
use (what keel does), and writing into fallocate()d space (unwritten extents, as etcd preallocates).

    bench/wal-fsync-probe.py [--dir DIR] [--batch BYTES] [--count N] [--gap-us US] [--repeats R]

Each way writes --count batches of --batch bytes at increasing offsets, each followed by fdatasync, with a
busy gap of --gap-us between batches (a server's work between groups), in DIR (default .build, which is on
the disk the tests use). The ways run interleaved, --repeats times; medians of the per-run means and p99s.
"""
import argparse, os, statistics, time

def spin(us):
    end = time.perf_counter() + us * 1e-6
    while time.perf_counter() < end:
        pass

def run(way, path, batch, count, gap, chunk=1 << 20):
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_RDWR, 0o600)
    try:
        if way == "fallocate":
            os.posix_fallocate(fd, 0, batch * count + chunk)
            os.fsync(fd)
        data, zeros, end, offset, times = b"x" * batch, b"\0" * chunk, 0, 0, []
        for _ in range(count):
            start = time.perf_counter()
            os.pwrite(fd, data, offset)
            offset += batch
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
            if way == "zeros" and end - offset < chunk // 2:  # grow ahead, after the sync, as FileDisk does
                os.pwrite(fd, zeros, max(end, offset))
                end = max(end, offset) + chunk
            spin(gap)
        times.sort()
        return statistics.mean(times) * 1e6, times[int(len(times) * 0.99)] * 1e6
    finally:
        os.close(fd)
        os.unlink(path)

def main():
    parser = argparse.ArgumentParser(description="fdatasync of a WAL batch: append vs zeros vs fallocate")
    parser.add_argument("--dir", default=".build")
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--gap-us", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "wal-fsync-probe.tmp")
    ways = ["append", "zeros", "fallocate"]
    results = {way: [] for way in ways}
    for _ in range(args.repeats):
        for way in ways:
            results[way].append(run(way, path, args.batch, args.count, args.gap_us))
    print(f"fdatasync of a {args.batch}-byte batch, {args.count} batches x {args.repeats} interleaved runs:")
    base = statistics.median(mean for mean, _ in results["append"])
    for way in ways:
        mean = statistics.median(m for m, _ in results[way])
        p99 = statistics.median(p for _, p in results[way])
        print(f"  {way:9}  mean {mean:6.0f} us  p99 {p99:6.0f} us  ({mean / base:.2f} of append)")

if __name__ == "__main__":
    main()
