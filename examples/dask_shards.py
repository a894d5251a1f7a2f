#!/usr/bin/env python3
"""Compress one input as N shards on a Dask cluster, then merge them into the whole .mrc file.

Each Dask task runs `cli.ts compress INPUT --shard I/N` (a process of its own: the coder is
Deno's), writing one shard; the shards are then joined by `cli.ts merge`, which copies their
chunks without decoding. With --reproducible the result is byte for byte the file one
`compress` of the whole writes.

    python3 examples/dask_shards.py x.npy -o x.mrc --shards 8 -- --error-bound 1e-3

Options after `--` go to every `compress` (a shard needs the whole's bound: --error-bound, or
--rel-error-bound with --range MIN,MAX). Without --scheduler a LocalCluster of --workers
processes on 127.0.0.1 runs the tasks; with --scheduler tcp://HOST:8786 an existing cluster
does (the input, the shard directory and cli.ts must then be on a file system every worker sees).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.path.join(os.path.dirname(HERE), "cli.ts")


def deno() -> str:
    return os.environ.get("DENO") or shutil.which("deno") or "deno"


def compress_shard(cli, deno_path, sources, out, i, n, extra):
    """One Dask task: compress shard i of n. Returns the path, seconds and peak RSS (KiB)."""
    start = time.perf_counter()
    cmd = [deno_path, "run", "-A", cli, "compress", *sources, "-o", out, "--shard", f"{i}/{n}",
           "--quiet", "--force", *extra]
    code, _, err, rss = run(cmd)
    if code != 0:
        raise RuntimeError(f"shard {i}/{n}: {err.strip()}")
    return out, time.perf_counter() - start, rss


def run(cmd):
    """Runs a command; returns its exit status, output, errors and peak resident size (KiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss


def main(argv=None) -> int:
    args_, extra = (argv if argv is not None else sys.argv[1:]), []
    if "--" in args_:
        k = args_.index("--")
        args_, extra = args_[:k], args_[k + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", nargs="+", help="the input (.npy, raw with --shape, netCDF with --var)")
    p.add_argument("-o", "--output", required=True, help="the whole .mrc file")
    p.add_argument("--shards", type=int, default=2, help="shards (default 2)")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster)")
    p.add_argument("--work-dir", help="where the shards go (default: a temporary directory, removed)")
    p.add_argument("--keep", action="store_true", help="keep the shards")
    args = p.parse_args(args_)

    from dask.distributed import Client, LocalCluster

    work = args.work_dir or tempfile.mkdtemp(prefix="mrcae-shards-", dir=os.path.dirname(os.path.abspath(args.output)))
    os.makedirs(work, exist_ok=True)
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    start = time.perf_counter()
    try:
        # Several inputs (netCDF files joined along time) go to every task: each checks them
        # all (grid, units, time) and reads the snapshots of its shard.
        futures = [
            client.submit(compress_shard, CLI, deno(), args.input,
                          os.path.join(work, f"shard-{i:05d}.mrc"), i, args.shards, extra,
                          pure=False)
            for i in range(args.shards)
        ]
        results = client.gather(futures)
        coded = time.perf_counter() - start
        paths = [r[0] for r in results]
        merge = [deno(), "run", "-A", CLI, "merge", *paths, "-o", args.output, "--force"]
        if "--reproducible" in extra:
            merge.append("--reproducible")
        code, out, err, merge_rss = run(merge)
        if code != 0:
            print(err.strip(), file=sys.stderr)
            return 1
        total = time.perf_counter() - start
        print(f"{len(paths)} shards on {len(client.scheduler_info()['workers'])} workers in {coded:.2f} s, "
              f"merged in {total - coded:.2f} s: {args.output} "
              f"(peak RSS: shards {max(x[2] for x in results) / 1024:.0f} MiB, merge {merge_rss / 1024:.0f} MiB)")
        print(out.strip())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        if not args.keep and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
