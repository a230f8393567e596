"""Packed galleries: exact scores, mapped files, write-through log, crashes at any point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from matcher_cy import Gallery, Template, match_score
from matcher_cy.distractors import distractor_template
from matcher_cy.gallery_file import ADD, record
from matcher_cy.template import MINUTIA_DTYPE


def rescaled(template: Template, dpi: int) -> Template:
    """The same minutiae declared at another resolution (exercises the x, y scaling)."""
    return Template(
        template.minutiae, width=template.width, height=template.height, dpi=dpi, quality=50
    )


def gallery_templates(synthetic_templates) -> dict[str, Template]:
    templates = {f"d{i}": distractor_template(i, seed=3) for i in range(60)}
    for (finger, impression), template in synthetic_templates.items():
        templates[f"f{finger}.{impression}"] = template
    templates["odd-dpi"] = rescaled(synthetic_templates[(1, 0)], 569)
    templates["low-dpi"] = rescaled(synthetic_templates[(2, 0)], 250)
    templates["empty"] = Template(np.zeros(0, dtype=MINUTIA_DTYPE), width=10, height=10)
    return templates


def test_packed_scores_equal_match_score_bit_for_bit(synthetic_templates, backend) -> None:
    templates = gallery_templates(synthetic_templates)
    gallery = Gallery(backend=backend, threads=1)
    for key, template in templates.items():
        gallery.add(key, template)
    for probe in (synthetic_templates[(1, 1)], synthetic_templates[(3, 2)], templates["odd-dpi"]):
        results = gallery.search(probe, k=len(templates), exhaustive=True)
        assert len(results) == len(templates)
        for key, score in results:
            assert score == match_score(probe, templates[key], backend=backend), key
    for key, template in templates.items():
        assert gallery.get(key) == template


def test_compiled_and_reference_pick_the_same_shortlist(synthetic_templates) -> None:
    from matcher_cy import params
    from matcher_cy.backend import backend_named

    try:
        compiled = Gallery(backend=backend_named("cython"))
    except ImportError as error:
        pytest.skip(f"compiled matcher not built: {error}")
    reference = Gallery(backend=backend_named("reference"))
    for index in range(params.PREFILTER_SHORTLIST_MIN + 60):
        template = distractor_template(index, seed=5)
        compiled.add(f"d{index}", template)
        reference.add(f"d{index}", template)
    compiled.remove("d7")
    reference.remove("d7")
    for finger in (1, 2, 3):
        compiled.add(f"f{finger}", synthetic_templates[(finger, 0)])
        reference.add(f"f{finger}", synthetic_templates[(finger, 0)])
    for probe in (synthetic_templates[(1, 1)], synthetic_templates[(2, 2)]):
        chosen = compiled.shortlist(probe)
        assert len(chosen) == params.PREFILTER_SHORTLIST_MIN
        assert chosen.tolist() == reference.shortlist(probe).tolist()
        single = compiled.search(probe, k=5, threads=1)
        assert compiled.search(probe, k=5, threads=2) == single
        assert [key for key, _ in single] == [key for key, _ in reference.search(probe, k=5)]


def test_split_searches_reuse_the_workers_and_agree_under_concurrency(
    synthetic_templates,
) -> None:
    """A search split over threads hands its parts to long-lived workers (no thread is
    started per pass) and gives the one-thread result, also when several threads search
    the same gallery at once."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from matcher_cy.backend import backend_named

    try:
        gallery = Gallery(backend=backend_named("cython"))
    except ImportError as error:
        pytest.skip(f"compiled matcher not built: {error}")
    for index in range(300):
        gallery.add(f"d{index}", distractor_template(index, seed=7))
    for finger in (1, 2, 3):
        gallery.add(f"f{finger}", synthetic_templates[(finger, 0)])
    probes = [synthetic_templates[(finger, 1)] for finger in (1, 2, 3)]
    single = [gallery.search(probe, k=5, threads=1) for probe in probes]
    assert [found[0][0] for found in single] == ["f1", "f2", "f3"]
    assert [gallery.search(probe, k=5, threads=3) for probe in probes] == single
    workers = {t for t in threading.enumerate() if t.name.startswith("gallery-search")}
    assert len(workers) >= 2  # a smaller pool made before is replaced; its threads exit
    for _ in range(3):
        assert [gallery.search(probe, k=5, threads=3) for probe in probes] == single
    after = {t for t in threading.enumerate() if t.name.startswith("gallery-search")}
    assert after and not after - workers  # no thread started by these 9 searches
    with ThreadPoolExecutor(4) as callers:
        found = list(
            callers.map(lambda n: gallery.search(probes[n % 3], k=5, threads=3), range(24))
        )
    assert found == [single[n % 3] for n in range(24)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_searches_on_its_own_workers(synthetic_templates) -> None:
    """The parent's workers do not exist in a forked child: its split search must start
    its own instead of queueing parts nobody runs."""
    from matcher_cy.backend import backend_named

    try:
        gallery = Gallery(backend=backend_named("cython"))
    except ImportError as error:
        pytest.skip(f"compiled matcher not built: {error}")
    for index in range(100):
        gallery.add(f"d{index}", distractor_template(index, seed=9))
    gallery.add("f1", synthetic_templates[(1, 0)])
    probe = synthetic_templates[(1, 1)]
    expected = gallery.search(probe, k=3, threads=2)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        signal.alarm(30)
        os._exit(0 if gallery.search(probe, k=3, threads=2) == expected else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_loaded_gallery_maps_the_file_read_only(tmp_path: Path, synthetic_templates) -> None:
    gallery = Gallery()
    for key, template in gallery_templates(synthetic_templates).items():
        gallery.add(key, template)
    path = tmp_path / "g.khg"
    gallery.save(path)
    loaded = Gallery.load(path)
    base = loaded._base
    assert base is not None and base.mapping is not None
    assert not base.columns.bits.flags.writeable
    assert base.size_bytes == path.stat().st_size
    probe = synthetic_templates[(2, 1)]
    assert loaded.search(probe, k=4) == gallery.search(probe, k=4)


def test_write_through_log_replays_and_compacts(tmp_path: Path, synthetic_templates) -> None:
    path = tmp_path / "watchlist.khg"
    writer = Gallery.open(path)
    for finger in (1, 2, 3):
        writer.add(f"f{finger}", synthetic_templates[(finger, 0)])
    writer.remove("f2")
    writer.add("f1", synthetic_templates[(1, 2)])  # replaced
    assert writer.log_entries == 5
    reader = Gallery.load(path)
    assert sorted(reader) == ["f1", "f3"] and reader.get("f1") == synthetic_templates[(1, 2)]
    writer.compact(stamp=7)
    assert writer.log_entries == 0 and writer.stamp == 7
    assert (path.parent / (path.name + ".log")).stat().st_size == 18
    again = Gallery.load(path)
    assert sorted(again) == ["f1", "f3"] and again.stamp == 7 and again.log_entries == 0
    probe = synthetic_templates[(3, 1)]
    assert again.search(probe, k=2) == reader.search(probe, k=2)
    writer.add("f2", synthetic_templates[(2, 0)])  # after compaction, into the new log
    assert sorted(Gallery.load(path)) == ["f1", "f2", "f3"]


def test_a_torn_or_stale_log_still_loads(tmp_path: Path, synthetic_templates) -> None:
    path = tmp_path / "g.khg"
    writer = Gallery.open(path)
    writer.add("f1", synthetic_templates[(1, 0)])
    writer.add("f2", synthetic_templates[(2, 0)])
    log = path.parent / (path.name + ".log")
    whole = log.read_bytes()
    first_end = 18 + len(record(ADD, "f1", synthetic_templates[(1, 0)].to_bytes()))
    for cut in range(len(whole) - 1, 0, -37):  # every kind of torn tail
        log.write_bytes(whole[:cut])
        assert sorted(Gallery.load(path)) == (["f1"] if cut >= first_end else [])
    cut = len(whole) - 5
    log.write_bytes(whole[:cut])
    writer.add("f3", synthetic_templates[(3, 0)])  # the next append drops the torn tail
    assert sorted(Gallery.load(path)) == ["f1", "f3"]
    # a crash between a compaction's rename and its new log: the old log is ignored
    # (the writer still holds f2, whose record was cut away behind its back)
    stale = log.read_bytes()
    writer.compact()
    log.write_bytes(stale)
    assert sorted(Gallery.load(path)) == sorted(writer) == ["f1", "f2", "f3"]


WRITER = textwrap.dedent(
    """
    import sys
    from matcher_cy import Gallery
    from matcher_cy.distractors import distractor_template
    gallery = Gallery.open(sys.argv[1])
    for i in range(100000):
        gallery.add(f"d{i}", distractor_template(i % 50))
        if i % 7 == 6:
            gallery.remove(f"d{i - 3}")
        if i % 40 == 39:
            gallery.compact(stamp=i)
        print(i, flush=True)
    """
)


def test_a_writer_killed_at_any_moment_leaves_a_gallery_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "g.khg"
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    for delay in (0.01, 0.13, 0.31, 0.57, 0.9):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate()
        last = [int(line) for line in (first + out).split()][-1]
        keys = set(Gallery.load(path))
        # every acknowledged change is there; the one in flight may or may not be
        for i in range(last + 1):
            removed_by = i + 3 if (i + 3) % 7 == 6 else None
            if removed_by is not None and removed_by == last + 1:
                continue
            removed = removed_by is not None and removed_by <= last
            assert (f"d{i}" in keys) != removed, (delay, i, last)
        assert all(int(key[1:]) <= last + 1 for key in keys)
        path.unlink()
        (path.parent / (path.name + ".log")).unlink(missing_ok=True)


def test_mapping_and_searching_a_gallery_imports_no_scipy(tmp_path: Path) -> None:
    """A restart (the gate's, a hub worker's) maps and searches without importing scipy,
    which only extraction needs (seconds of imports on a loaded Pi). The compiled matcher:
    the numpy reference thins with scipy."""
    pytest.importorskip("matcher_cy._search", reason="compiled matcher not built")
    path = tmp_path / "g.khg"
    gallery = Gallery(threads=1)
    for i in range(30):
        gallery.add(f"d{i}", distractor_template(i, seed=9))
    gallery.save(path)
    (tmp_path / "probe.tpl").write_bytes(distractor_template(4, seed=9).to_bytes())
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from matcher_cy import Gallery, Template, implementation
        gallery = Gallery.load(sys.argv[1])
        probe = Template.from_bytes(Path(sys.argv[2]).read_bytes())
        print(gallery.search(probe, k=1)[0][0], implementation)
        print(sorted(m for m in sys.modules if m.split(".")[0] == "scipy"))
        """
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "probe.tpl")],
        env=dict(os.environ, PYTHONPATH=str(root), KHIDMAT_MATCHER="cython"),
        capture_output=True,
        text=True,
        check=True,
    )
    found, imported = result.stdout.splitlines()
    assert found == "d4 cython"
    assert imported == "[]"
