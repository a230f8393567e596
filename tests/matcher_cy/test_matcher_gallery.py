"""Gallery: add, remove, search, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher_cy import Gallery, TemplateFormatError


def enrolled(synthetic_templates, backend) -> Gallery:
    gallery = Gallery(backend=backend)
    for finger in (1, 2, 3):
        gallery.add(f"finger-{finger}", synthetic_templates[(finger, 0)])
    return gallery


def test_search_ranks_the_mate_first(synthetic_templates, backend) -> None:
    gallery = enrolled(synthetic_templates, backend)
    for finger in (1, 2, 3):
        results = gallery.search(synthetic_templates[(finger, 1)], k=2)
        assert [key for key, _ in results][0] == f"finger-{finger}"
        assert results[0][1] > results[1][1]
    assert len(gallery.search(synthetic_templates[(1, 1)], k=10)) == 3


def test_remove_and_replace(synthetic_templates, backend) -> None:
    gallery = enrolled(synthetic_templates, backend)
    gallery.remove("finger-1")
    assert len(gallery) == 2 and "finger-1" not in gallery
    assert gallery.search(synthetic_templates[(1, 1)], k=1)[0][0] != "finger-1"
    with pytest.raises(KeyError):
        gallery.remove("finger-1")
    gallery.add("finger-2", synthetic_templates[(1, 0)])  # replace under the same key
    assert len(gallery) == 2
    assert gallery.search(synthetic_templates[(1, 1)], k=1)[0][0] == "finger-2"


def test_save_load_round_trip(tmp_path: Path, synthetic_templates, backend) -> None:
    gallery = enrolled(synthetic_templates, backend)
    gallery.add("finger-1", synthetic_templates[(1, 2)])  # a replaced row is not saved
    gallery.remove("finger-3")
    path = tmp_path / "watchlist.khmg"
    gallery.save(path, stamp=41)
    loaded = Gallery.load(path, backend=backend)
    assert list(loaded) == list(gallery) == ["finger-2", "finger-1"]
    assert loaded.stamp == 41 and loaded.get("finger-1") == synthetic_templates[(1, 2)]
    probe = synthetic_templates[(2, 2)]
    assert loaded.search(probe, k=3) == gallery.search(probe, k=3)


def test_load_rejects_corrupt_files(tmp_path: Path, synthetic_templates, backend) -> None:
    path = tmp_path / "g.khmg"
    enrolled(synthetic_templates, backend).save(path)
    data = path.read_bytes()
    for bad, message in [
        (b"NOPE" + data[4:], "bad magic"),
        (data[:-3], "truncated"),
        (data[:5000], "truncated"),
        (data + b"\x00", "trailing bytes"),
        (data[:4100] + bytes([data[4100] ^ 1]) + data[4101:], "section starts checksum"),
        (data[:20] + b"\xff" + data[21:], "header checksum"),
    ]:
        path.write_bytes(bad)
        with pytest.raises(TemplateFormatError, match=message):
            Gallery.load(path, backend=backend)


def test_rejects_bad_keys_and_k(synthetic_templates, backend) -> None:
    gallery = Gallery(backend=backend)
    with pytest.raises(ValueError):
        gallery.add("", synthetic_templates[(1, 0)])
    with pytest.raises(ValueError):
        gallery.add("a\0b", synthetic_templates[(1, 0)])
    with pytest.raises(TypeError):
        gallery.add("x", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        gallery.search(synthetic_templates[(1, 0)], k=0)


def test_prefilter_shortlist_keeps_mates_among_distractors(synthetic_templates, backend) -> None:
    from matcher_cy import params
    from matcher_cy.distractors import distractor_template

    gallery = Gallery(backend=backend)
    for index in range(params.PREFILTER_SHORTLIST_MIN + 100):
        gallery.add(f"distractor-{index}", distractor_template(index))
    for finger in (1, 2, 3):
        gallery.add(f"finger-{finger}", synthetic_templates[(finger, 0)])
    assert gallery.shortlist_size() == params.PREFILTER_SHORTLIST_MIN < len(gallery)
    for finger in (1, 2, 3):
        probe = synthetic_templates[(finger, 1)]
        assert len(gallery.shortlist(probe)) == params.PREFILTER_SHORTLIST_MIN
        assert gallery.search(probe, k=1)[0][0] == f"finger-{finger}"
        assert gallery.search(probe, k=1, exhaustive=True)[0][0] == f"finger-{finger}"


def test_spread_order_covers_the_print_from_the_best_minutia() -> None:
    from matcher_cy import index

    # a dense cluster (best quality first) and four far corners
    x = np.array([100.0, 102, 104, 106, 108, 0, 300, 0, 300])
    y = np.array([100.0, 101, 102, 103, 104, 0, 0, 300, 300])
    candidates = np.arange(9)
    chosen = index.spread_order(x, y, candidates, 5)
    assert chosen[0] == 0  # the best minutia first
    assert sorted(chosen[1:].tolist()) == [5, 6, 7, 8]  # then the far corners, not the cluster
    assert index.spread_order(x, y, candidates, 1).tolist() == [0]
    assert len(index.spread_order(x, y, candidates, 20)) == 9
    assert index.spread_order(x, y, np.array([], dtype=np.int64), 4).tolist() == []
