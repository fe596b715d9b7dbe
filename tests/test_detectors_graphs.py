"""Memory: people judged on one thread share all of its mediapipe graphs (detectors, the crop
mesh, the landmark-in-region mesh that follows faces); a person keeps only where their face
was, and nobody's readings depend on the others'. Per-person tracking (face_tracking) is the
opt-in old way and must agree with the shared way."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import pytest
import skimage.data
from mediapipe.python.solution_base import SolutionBase

from detectors import Detector, DetectorSettings, Reading, Verdict
from detectors import synthetic as syn
from detectors.faces import FaceFinder, landmark_box
from detectors.graphs import GraphKey, ThreadGraphs, thread_graphs

T = TypeVar("T")
SETTINGS = DetectorSettings()
TRACKING = dataclasses.replace(SETTINGS, face_tracking=True)
SHARED = {
    ("face_detection", 0, SETTINGS.detection_confidence),  # short range
    ("face_detection", 1, SETTINGS.detection_confidence),  # full range
    ("crop_face_mesh", SETTINGS.refine_iris, SETTINGS.detection_confidence),
    ("roi_face_mesh", SETTINGS.refine_iris, 0.5),  # follows every known face
}


@pytest.fixture(scope="module")
def astronaut() -> syn.PosableFace:
    return syn.PosableFace(skimage.data.astronaut())


@pytest.fixture(scope="module")
def frames(astronaut: syn.PosableFace) -> dict[str, np.ndarray]:
    return {
        "large": astronaut.frame(0.0, 0.0, 120),
        "small": astronaut.frame(0.0, 0.0, 36),  # too small for face_mesh's detector: crop path
        "turned": astronaut.frame(30.0, 10.0, 90),
        "nobody": syn.wall(),
    }


def on_a_new_thread(job: Callable[[], T]) -> T:
    """Run `job` on a thread of its own (its shared graphs start empty) that has ended on
    return, like a sampler pool thread after shutdown."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(job).result()


def live_graphs() -> int:
    """mediapipe graphs alive in the process (every solution is a SolutionBase)."""
    gc.collect()
    return sum(isinstance(o, SolutionBase) for o in gc.get_objects())


def test_sixteen_people_on_one_thread_build_the_same_four_graphs_as_one(
    frames: dict[str, np.ndarray],
) -> None:
    def job() -> tuple[int, list[list[str]], dict[GraphKey, Any], weakref.ref[ThreadGraphs]]:
        before = live_graphs()
        finders = [FaceFinder(SETTINGS) for _ in range(16)]
        paths = [
            [f.find(frames[name]).path for name in ("large", "large", "small", "small")]
            for f in finders
        ]
        built = live_graphs() - before
        graphs = thread_graphs().built()
        for f in finders:
            f.close()
        # closing people released nothing shared: the same graphs still work for a newcomer
        assert thread_graphs().built() == graphs
        assert FaceFinder(SETTINGS).find(frames["large"]).landmarks is not None
        assert thread_graphs().built() == graphs
        return built, paths, graphs, weakref.ref(thread_graphs())

    built, paths, graphs, holder = on_a_new_thread(job)
    assert built == len(SHARED) == 4  # not 16 x anything: nobody owns a graph
    assert set(graphs) == SHARED
    # first sight detects and crops; the next frame follows from there; a face that shrank
    # out of the followed region is found again by the detectors
    assert paths == [["crop", "mesh", "crop", "mesh"]] * 16
    # the thread has ended: its graphs were released and closed (mediapipe drops _graph)
    gc.collect()
    assert holder() is None
    assert all(graph._graph is None for graph in graphs.values())


def test_per_person_tracking_owns_one_mesh_each_and_close_releases_it(
    frames: dict[str, np.ndarray],
) -> None:
    def job() -> tuple[int, int]:
        before = live_graphs()
        finders = [FaceFinder(TRACKING) for _ in range(3)]
        for f in finders:
            assert f.find(frames["large"]).path == "mesh"
        built = live_graphs() - before
        for f in finders:
            f.close()
        return built, live_graphs() - before

    built, after_close = on_a_new_thread(job)
    # 3 tracking meshes + the thread's full-range detector that recounts faces
    assert (built, after_close) == (4, 1)


def test_readings_do_not_depend_on_who_else_the_thread_judged(
    frames: dict[str, np.ndarray],
) -> None:
    mine = ["large", "small", "turned", "small", "nobody", "large", "turned"]
    theirs = ["small", "turned", "large", "large", "small", "nobody", "small"]

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
    assert [r.verdict for r in expected] == [
        Verdict.ENGAGED,
        Verdict.ENGAGED,
        Verdict.LOOKING_AWAY,
        Verdict.ENGAGED,
        Verdict.ABSENT,
        Verdict.ENGAGED,
        Verdict.LOOKING_AWAY,
    ]


POSES = [(0.0, 0.0), (10.0, 5.0), (-10.0, -5.0), (40.0, 0.0), (-40.0, 0.0), (0.0, 35.0)]
POSES += [(0.0, -35.0), (35.0, 25.0), (0.0, 0.0)]


@pytest.fixture(scope="module")
def posed(astronaut: syn.PosableFace) -> list[np.ndarray]:
    """The astronaut in each of POSES, rendered once (placed at a size per test)."""
    return [astronaut.render(yaw, pitch)[0] for yaw, pitch in POSES]


# tolerance: at 48 px per-person tracking runs the crop path on every frame (face_mesh's own
# detector misses faces that small) while the shared way follows; a few px are degrees there
@pytest.mark.parametrize(("size", "tolerance_deg"), [(48, 5.0), (120, 3.0)])
def test_shared_graphs_judge_posed_faces_like_per_person_tracking(
    astronaut: syn.PosableFace, posed: list[np.ndarray], size: int, tolerance_deg: float
) -> None:
    scale = size / astronaut.face_width
    frames = [syn.place(img, astronaut.face_centre, scale) for img in posed]

    def judge(settings: DetectorSettings) -> list[Reading]:
        with Detector(settings) as det:
            # each pose held for two samples, like a person in a meeting at 1 frame/s
            return [det.observe(f, 2.0 * i + k) for i, f in enumerate(frames) for k in (0, 1)]

    shared, tracked = judge(SETTINGS), judge(TRACKING)
    truth = [Verdict.ENGAGED] * 6 + [Verdict.LOOKING_AWAY] * 10 + [Verdict.ENGAGED] * 2
    assert [r.verdict for r in shared] == [r.verdict for r in tracked] == truth
    for a, b in zip(shared, tracked, strict=True):
        assert a.yaw is not None
        assert b.yaw is not None
        assert a.pitch is not None
        assert b.pitch is not None
        assert abs(a.yaw - b.yaw) < tolerance_deg
        assert abs(a.pitch - b.pitch) < tolerance_deg


def test_a_face_that_moves_between_frames_is_still_found(astronaut: syn.PosableFace) -> None:
    size = 120
    # face centre x as a fraction of the 640 px frame: steps of 32 px (a quarter of the face)
    # are followed from the last region, a jump across the frame is found by the detectors
    steps = [0.50, 0.55, 0.60, 0.65, 0.70, 0.25, 0.30]
    expected_path = ["crop", "mesh", "mesh", "mesh", "mesh", "crop", "mesh"]

    def job() -> list[tuple[str, float]]:
        finder = FaceFinder(SETTINGS)
        out = []
        for x in steps:
            search = finder.find(astronaut.frame(0.0, 0.0, size, centre=(x, 0.45)))
            assert search.landmarks is not None, f"face at x={x} not found"
            bx, _, bw, _ = landmark_box(search.landmarks)
            out.append((search.path, bx + bw / 2))
        return out

    found = on_a_new_thread(job)
    assert [path for path, _ in found] == expected_path
    # the landmarks moved with the face (to within a tenth of its width)
    start = found[0][1]
    for (_, cx), x in zip(found, steps, strict=True):
        assert abs((cx - start) - (x - steps[0]) * 640) < 0.1 * size
