"""Memory: people judged on one thread share its stateless mediapipe graphs (detectors, crop
mesh); each keeps its own tracking mesh, and nobody's readings depend on the others'."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import pytest
import skimage.data

from detectors import Detector, DetectorSettings, Reading
from detectors import synthetic as syn
from detectors.faces import FaceFinder, GraphKey, ThreadGraphs, thread_graphs

T = TypeVar("T")
SETTINGS = DetectorSettings()
SHARED = {
    ("face_detection", 0, SETTINGS.detection_confidence),  # short range
    ("face_detection", 1, SETTINGS.detection_confidence),  # full range
    ("crop_face_mesh", SETTINGS.refine_iris, SETTINGS.detection_confidence),
}


@pytest.fixture(scope="module")
def frames() -> dict[str, np.ndarray]:
    face = syn.PosableFace(skimage.data.astronaut())
    return {
        "large": face.frame(0.0, 0.0, 120),  # tracking mesh, full-range recount
        "small": face.frame(0.0, 0.0, 36),  # too small for the mesh: detector + crop mesh
        "turned": face.frame(30.0, 10.0, 90),
    }


def on_a_new_thread(job: Callable[[], T]) -> T:
    """Run `job` on a thread of its own (its shared graphs start empty) that has ended on
    return, like a sampler pool thread after shutdown."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(job).result()


def test_finders_on_one_thread_share_stateless_graphs_but_not_tracking(
    frames: dict[str, np.ndarray],
) -> None:
    def job() -> tuple[list[str], list[dict[GraphKey, Any]], weakref.ref[ThreadGraphs]]:
        a, b = FaceFinder(SETTINGS), FaceFinder(SETTINGS)
        paths = [a.find(frames["large"]).path, a.find(frames["small"]).path]
        first = thread_graphs().built()
        paths += [b.find(frames["large"]).path, b.find(frames["small"]).path]
        second = thread_graphs().built()
        assert a._mesh is not b._mesh  # tracking state stays per person
        a.close()
        b.close()
        assert a._mesh is None
        after_close = thread_graphs().built()
        return paths, [first, second, after_close], weakref.ref(thread_graphs())

    paths, seen, holder = on_a_new_thread(job)
    assert paths == ["mesh", "crop", "mesh", "crop"]
    first, second, after_close = seen
    assert set(first) == SHARED
    # the second person built nothing: same graph objects, and closing a finder keeps them
    assert set(second) == SHARED
    assert all(second[key] is first[key] for key in SHARED)
    assert all(after_close[key] is first[key] for key in SHARED)
    # the thread has ended: its graphs were released and closed (mediapipe drops _graph)
    gc.collect()
    assert holder() is None
    assert all(graph._graph is None for graph in first.values())


def test_readings_do_not_depend_on_who_else_the_thread_judged(
    frames: dict[str, np.ndarray],
) -> None:
    mine = ["large", "small", "turned", "small", "large", "turned"]
    theirs = ["small", "turned", "large", "large", "small", "small"]

    def alone() -> list[Reading]:
        with Detector(SETTINGS) as det:
            return [det.observe(frames[name], float(i)) for i, name in enumerate(mine)]

    def interleaved() -> list[Reading]:
        out = []
        with Detector(SETTINGS) as det, Detector(SETTINGS) as other:
            for i, (name, their) in enumerate(zip(mine, theirs, strict=True)):
                other.observe(frames[their], float(i))
                out.append(det.observe(frames[name], float(i)))
        return out

    expected = on_a_new_thread(alone)
    assert on_a_new_thread(interleaved) == expected
    assert {r.reason for r in expected} == {"facing", "head_yaw"}  # mesh and crop paths ran
