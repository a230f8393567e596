"""``khidmat bench gallery``: a prepared gallery of N templates built, saved, mapped, searched.

The gallery holds N synthetic distractors (matcher_cy.distractors: minutiae laid out
like a print, directions following an arch, loop or whorl orientation field, not random
minutiae) plus the first impression of every mate finger; every other impression is a
probe: FVC-style images from DIR (``<finger>_<impression>.<ext>``, sub-folders searched)
and synthetic fingers (edge_agent.sim.fingers) until there are at least ``--probes``.

Distractors are built by ``--processes`` worker processes into part files and merged into
one prepared file, kept in ``--cache`` (named by N and seed) and reused by later runs (the
build and save figures are those of the run that made it, stored beside it); a larger N
extends the largest smaller file of that seed (distractor i is the same template in
every file of a seed), and its build_s adds the two builds. With
``--distinct M`` < N only M distinct distractors are built and repeated under new keys up
to N: load, memory and search time are those of N templates, but rank-1 is not that of N
distinct prints (a distractor that beats a mate appears N/M times in the shortlist). The mapped
measurements run in a fresh child process: load_s (Gallery.load: mapping, bounds checks
and keys; verify_s the checksums of every section on top, which read the whole file), the
resident growth over the size (after the searches, so every page a search touches
counts), search_ms_median on one thread and on every core, and rank-1 with the
prefilter; search_ms_median_all_cores is over the first 100 probes; on a machine other
work shares, CPU times say more than wall times: search_cpu_ms_median is the one-thread
search's CPU time (time.thread_time), search_critical_ms_median_all_cores the critical
path of the all-core search (see ``critical_path``: its wall time on idle cores) and
search_cpu_ms_median_all_cores the CPU time of all its threads together; load_average
is the 1-minute load before and after the searches and at the end; rank1_rate_exhaustive
scores the whole gallery for the first ``--exhaustive-probes`` probes only (an exhaustive
search of 300,000 takes seconds), and rank1_rate_same_probes is the prefilter's rank-1 on
those same probes.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SYNTHETIC_IMPRESSIONS = 5


def _part(first: int, stop: int, seed: int, path: str) -> None:
    """Build distractors first..stop-1 and save them to ``path`` (a worker process)."""
    from matcher_cy import Gallery
    from matcher_cy.distractors import distractor_template

    gallery = Gallery(threads=1)
    for index in range(first, stop):
        gallery.add(f"distractor-{index}", distractor_template(index, seed=seed))
    gallery.save(path)


def mates(
    data: Path | None, minimum: int, dpi: int
) -> tuple[dict[str, bytes], list[tuple[str, bytes]]]:
    """Enrolled template bytes by mate key, and (mate key, probe bytes) pairs."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    enrolled: dict[str, bytes] = {}
    probes: list[tuple[str, bytes]] = []
    if data is not None:
        from bench.matcher import IMAGE_SUFFIXES, find_samples, load_templates

        images = (p for p in data.rglob("*_*.*") if p.suffix.lower() in IMAGE_SUFFIXES)
        folders = sorted({p.parent for p in images}) or [data]
        for folder in folders:
            samples = find_samples(folder, "image")
            templates, _ = load_templates(samples, "image", dpi)
            first: dict[int, int] = {}
            for sample in samples:
                first.setdefault(sample.finger, sample.impression)
            for sample, template in zip(samples, templates, strict=True):
                key = f"{folder.name}-{sample.finger}"
                if sample.impression == first[sample.finger]:
                    enrolled[key] = template.to_bytes()
                else:
                    probes.append((key, template.to_bytes()))
    finger = 0
    while len(probes) < minimum:
        finger += 1
        key = f"synthetic-{finger}"
        enrolled[key] = extract(impression_image(finger, 0)).to_bytes()
        for impression in range(1, SYNTHETIC_IMPRESSIONS):
            probes.append((key, extract(impression_image(finger, impression)).to_bytes()))
    return enrolled, probes


def build(
    size: int, seed: int, processes: int, target: Path, *, prefix: Path | None = None
) -> dict[str, float]:
    """Build the distractor file ``target`` in parts; returns build_s and save_s.

    With ``prefix`` (a distractor file of the first M < ``size`` distractors of this
    seed) only distractors M..size-1 are built, and the file is the prefix's rows then
    the new ones; build_s is then only this build's (the caller adds the prefix's).
    """
    from matcher_cy import gallery_file, packed

    first = 0
    sources = []
    if prefix is not None:
        sources.append(gallery_file.open_prepared(prefix, verify=False))
        first = sources[0].columns.rows
    bounds = np.linspace(first, size, max(1, processes) + 1).astype(int)
    parts = [target.with_name(f"{target.name}.part{i}") for i in range(len(bounds) - 1)]
    start = time.perf_counter()
    with ProcessPoolExecutor(len(parts)) as pool:
        for future in [
            pool.submit(_part, int(a), int(b), seed, str(p))
            for a, b, p in zip(bounds[:-1], bounds[1:], parts, strict=True)
        ]:
            future.result()
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    opened = sources + [gallery_file.open_prepared(p, verify=False) for p in parts]
    columns = packed.gather([(o.columns, np.arange(o.columns.rows)) for o in opened])
    keys = [key for o in opened for key in o.keys]
    gallery_file.write(target, columns, keys, generation=seed + 1, stamp=0)
    save_s = time.perf_counter() - start
    del opened, sources, columns
    for p in parts:
        p.unlink()
    return {"build_s": build_s, "save_s": save_s, "build_processes": len(parts)}


def _largest_prefix(cache: Path, size: int, seed: int) -> tuple[Path, dict] | None:
    """The largest cached distinct distractor file of ``seed`` smaller than ``size``
    (with its figures), or None."""
    best: tuple[int, Path] | None = None
    for path in cache.glob(f"distractors-*-seed{seed}.khg"):
        count = path.name.removeprefix("distractors-").removesuffix(f"-seed{seed}.khg")
        if count.isdigit() and int(count) < size and path.with_suffix(".json").exists():
            if best is None or int(count) > best[0]:
                best = (int(count), path)
    if best is None:
        return None
    return best[1], json.loads(best[1].with_suffix(".json").read_text())


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def stage_costs(gallery, probes: list) -> dict[str, float]:
    """One-thread cost of each search stage in CPU time (time.thread_time; medians over
    ``probes``): the coarse pass per template, the fine pass per candidate, the precise
    score per shortlisted template."""
    import math

    from matcher_cy import index, params
    from matcher_cy.matching import search_form

    live = gallery._live_slots()
    kept = max(gallery.shortlist_size(), math.ceil(params.INDEX_COARSE_KEEP_FRACTION * len(live)))
    coarse, fine, precise = [], [], []
    for probe in probes:
        form = search_form(probe)
        codes = index.index_codes(form, params.INDEX_PROBE_CODES)
        start = time.thread_time()
        gallery._coarse(codes.coarse, 1)
        coarse.append((time.thread_time() - start) / len(live))
        start = time.thread_time()
        shortlist = gallery.shortlist(probe, threads=1)
        whole = time.thread_time() - start
        fine.append(max(0.0, whole - coarse[-1] * len(live)) / kept)
        start = time.thread_time()
        gallery._precise(form, shortlist, 1)
        precise.append((time.thread_time() - start) / max(1, len(shortlist)))
    return {
        "coarse_us_per_template": float(np.median(coarse)) * 1e6,
        "fine_us_per_candidate": float(np.median(fine)) * 1e6,
        "precise_us_per_score": float(np.median(precise)) * 1e6,
        "fine_candidates": kept,
    }


def critical_path(gallery, probe, threads: int) -> tuple[float, float, list]:
    """One search split over ``threads`` threads: (its critical path, the CPU time of all
    its threads, the result), times in seconds. The critical path is the calling thread's
    own CPU time (selection, set-up) plus, for each pass, the longest CPU time any thread
    spent on its share: the wall time the search would take on ``threads`` otherwise idle
    cores, less thread wake-ups, and a figure that other processes on the machine barely
    disturb (they delay the threads but do not add to their CPU time)."""
    passes: list[list[tuple[bool, float]]] = []
    split = gallery._split
    caller = threading.get_ident()

    def timed_split(work, total: int, parts: int) -> None:
        times: list[tuple[bool, float]] = []

        def timed(start: int, stop: int) -> None:
            begun = time.thread_time()
            work(start, stop)
            times.append((threading.get_ident() == caller, time.thread_time() - begun))

        split(timed, total, parts)
        passes.append(times)

    gallery._split = timed_split
    try:
        begun_process, begun = time.process_time(), time.thread_time()
        result = gallery.search(probe, k=1, threads=threads)
        own, process = time.thread_time() - begun, time.process_time() - begun_process
    finally:
        del gallery._split
    serial = own - sum(spent for times in passes for on_caller, spent in times if on_caller)
    longest = sum(max(spent for _, spent in times) for times in passes if times)
    return serial + longest, process, result


def measure(
    path: Path, probes_file: Path, exhaustive_probes: int, all_core_probes: int = 100
) -> dict:
    """In a fresh process: map, search every probe, report (see module docstring)."""
    from matcher_cy import Gallery, Template, gallery_file
    from matcher_cy.gallery import default_threads

    with open(probes_file, "rb") as handle:
        probes = [(key, Template.from_bytes(body)) for key, body in pickle.load(handle)]
    Gallery().search(probes[0][1], k=1)  # import and warm the compiled matcher
    before = _rss_bytes()
    start = time.perf_counter()
    gallery = Gallery.load(path, verify=False)
    load_s = time.perf_counter() - start
    after_load = _rss_bytes()
    start = time.perf_counter()
    gallery_file.open_prepared(path, verify=True, threads=default_threads())
    verify_s = time.perf_counter() - start
    cores = default_threads()
    load_before = os.getloadavg()[0]
    one, one_cpu, every, every_critical, every_cpu, hits = [], [], [], [], [], 0
    for n, (key, probe) in enumerate(probes):
        start, start_cpu = time.perf_counter(), time.thread_time()
        best = gallery.search(probe, k=1, threads=1)
        one_cpu.append((time.thread_time() - start_cpu) * 1e3)
        one.append((time.perf_counter() - start) * 1e3)
        hits += best[0][0] == key
        if n < all_core_probes:
            start = time.perf_counter()
            again = gallery.search(probe, k=1, threads=cores)
            every.append((time.perf_counter() - start) * 1e3)
            assert again == best
            critical, cpu, again = critical_path(gallery, probe, cores)
            every_critical.append(critical * 1e3)
            every_cpu.append(cpu * 1e3)
            assert again == best
    load_after = os.getloadavg()[0]
    after_search = _rss_bytes()
    subset = probes[:exhaustive_probes]
    exhaustive_hits = same_hits = 0
    for key, probe in subset:
        exhaustive_hits += gallery.search(probe, k=1, exhaustive=True)[0][0] == key
        same_hits += gallery.search(probe, k=1)[0][0] == key
    size = len(gallery)
    parts = stage_costs(gallery, [probe for _, probe in probes[:20]])
    return {
        **parts,
        "load_s": load_s,
        "verify_s": verify_s,
        "rss_bytes_per_template": (after_search - before) / size,
        "rss_bytes_per_template_after_load": (after_load - before) / size,
        "search_ms_median": float(np.median(one)),
        "search_cpu_ms_median": float(np.median(one_cpu)),
        "search_ms_median_all_cores": float(np.median(every)),
        "search_critical_ms_median_all_cores": float(np.median(every_critical)),
        "search_cpu_ms_median_all_cores": float(np.median(every_cpu)),
        "cores": cores,
        "load_average": [load_before, load_after, os.getloadavg()[0]],
        "rank1_rate": 100.0 * hits / len(probes),
        "rank1_rate_exhaustive": 100.0 * exhaustive_hits / max(1, len(subset)),
        "rank1_rate_same_probes": 100.0 * same_hits / max(1, len(subset)),
        "exhaustive_probes": len(subset),
        "all_core_probes": len(every),
        "probes": len(probes),
        "shortlist": gallery.shortlist_size(),
        "implementation": gallery.implementation,
    }


def tile(source: Path, size: int, target: Path) -> None:
    """``target``: ``size`` distractor rows, the rows of ``source`` repeated under new keys."""
    from matcher_cy import gallery_file, packed

    opened = gallery_file.open_prepared(source, verify=False)
    rows = np.arange(size) % opened.columns.rows
    columns = packed.gather([(opened.columns, rows)])
    keys = [f"distractor-{i}" for i in range(size)]
    gallery_file.write(target, columns, keys, generation=size, stamp=0)


def distractor_file(
    size: int, distinct: int, seed: int, processes: int, cache: Path
) -> tuple[Path, dict]:
    """The cached distractor file (built or tiled now if missing) and its build figures."""
    distinct = min(distinct, size) if distinct > 0 else size
    path = cache / f"distractors-{distinct}-seed{seed}.khg"
    figures_file = path.with_suffix(".json")
    if path.exists() and figures_file.exists():
        built = json.loads(figures_file.read_text())
    elif (found := _largest_prefix(cache, distinct, seed)) is not None:
        prefix, before = found  # extend it: distractor i is the same template in both
        built = build(distinct, seed, processes, path, prefix=prefix)
        built = {
            **built,
            "build_s": built["build_s"] + before["build_s"],
            "extended_from": prefix.name,
        }
        figures_file.write_text(json.dumps(built))
    else:
        built = build(distinct, seed, processes, path)
        figures_file.write_text(json.dumps(built))
    if distinct == size:
        return path, built
    tiled = cache / f"distractors-{size}-from{distinct}-seed{seed}.khg"
    if not tiled.exists():
        tile(path, size, tiled)
    return tiled, {**built, "distinct_distractors": distinct}


def run(size: int, *, data: Path | None, dpi: int, probes: int, exhaustive_probes: int,
        seed: int, processes: int, cache: Path, distinct: int = 0) -> dict:  # fmt: skip
    """Build or reuse the distractors, add the mates, save, measure in a child process."""
    from matcher_cy import Gallery, Template

    cache.mkdir(parents=True, exist_ok=True)
    distractors, built = distractor_file(size, distinct, seed, processes, cache)
    mates_file = cache / f"mates-{probes}-{data.name if data else 'synthetic'}-{dpi}.pickle"
    if mates_file.exists():
        with open(mates_file, "rb") as handle:
            enrolled, probe_list = pickle.load(handle)
    else:
        enrolled, probe_list = mates(data, probes, dpi)
        with open(mates_file, "wb") as handle:
            pickle.dump((enrolled, probe_list), handle)
    gallery = Gallery.load(distractors, verify=False)
    for key, body in enrolled.items():
        gallery.add(key, Template.from_bytes(body))
    target = cache / f"gallery-{distractors.stem}.khg"
    start = time.perf_counter()
    gallery.save(target)
    save_s = time.perf_counter() - start
    del gallery
    probes_file = cache / f"probes-{os.getpid()}.pickle"
    with open(probes_file, "wb") as handle:
        pickle.dump(probe_list, handle)
    try:
        child = subprocess.run(
            [sys.executable, "-c", "import json, sys; from bench.gallery import measure; "
             "from pathlib import Path; print(json.dumps(measure(Path(sys.argv[1]), "
             "Path(sys.argv[2]), int(sys.argv[3]))))",
             str(target), str(probes_file), str(exhaustive_probes)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        probes_file.unlink(missing_ok=True)
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "size": size + len(enrolled),
        "build_s": built["build_s"],
        "build_processes": built["build_processes"],
        "save_s": built["save_s"] + save_s,
        "file_bytes_per_template": target.stat().st_size / (size + len(enrolled)),
        **measured,
        "distractors": size,
        "distinct_distractors": built.get("distinct_distractors", size),
        "enrolled": len(enrolled),
        "data": str(data) if data else "synthetic",
        "file": str(target),
    }


def main(*, size: int, data: Path | None, dpi: int, probes: int, exhaustive_probes: int,
         seed: int, processes: int, cache: Path, distinct: int, as_json: bool) -> int:  # fmt: skip
    """CLI body: run and print text or JSON."""
    result = run(size, data=data, dpi=dpi, probes=probes, exhaustive_probes=exhaustive_probes,
                 seed=seed, processes=processes, cache=cache, distinct=distinct)  # fmt: skip
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"gallery {result['size']} ({result['distractors']} distractors + {result['enrolled']} "
        f"enrolled, {result['data']}), {result['probes']} probes\n"
        f"  build {result['build_s']:.1f} s ({result['build_processes']} processes), save "
        f"{result['save_s']:.1f} s, load {result['load_s']:.2f} s; "
        f"{result['file_bytes_per_template']:.0f} file / "
        f"{result['rss_bytes_per_template']:.0f} resident bytes per template\n"
        f"  search median {result['search_ms_median']:.1f} ms on one core "
        f"({result['search_cpu_ms_median']:.1f} ms of CPU), "
        f"{result['search_ms_median_all_cores']:.1f} ms on {result['cores']} (critical path "
        f"{result['search_critical_ms_median_all_cores']:.1f} ms); load average "
        f"{result['load_average'][0]:.1f}-{result['load_average'][1]:.1f}; rank-1 "
        f"{result['rank1_rate']:.1f}% (exhaustive {result['rank1_rate_exhaustive']:.1f}% on "
        f"{result['exhaustive_probes']} probes, prefilter {result['rank1_rate_same_probes']:.1f}% "
        "on those)"
    )
    return 0
