"""The mediapipe graphs the face search runs, and who owns them.

Every graph here is stateless per call (nothing carried from one frame to the next), so one
copy per worker thread serves everybody judged on that thread (`thread_graphs`); a person owns
no graph unless they ask for per-person tracking (`tracking_mesh`). A face_mesh with irises is
~25 MiB, so this is what keeps 48 participants in one process affordable.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# mediapipe's C++ side logs every graph start to stderr; keep a participant's console readable.
os.environ.setdefault("GLOG_minloglevel", "2")
import mediapipe as mp
from google.protobuf import text_format
from mediapipe.framework import calculator_pb2
from mediapipe.python.solution_base import SolutionBase

GraphKey = tuple[str, int | bool, float]  # what a shared graph was built with

_solutions: Any = mp.solutions

# face_mesh's landmark stage alone: landmarks of the face inside a given region of the frame,
# with no detector and, unlike FaceMesh's tracking mode, no memory of the previous frame (the
# region is the caller's), so one graph serves everybody on a thread. FaceLandmarkCpu gates its
# output on the model's face-presence score (0.5): no face in the region, no landmarks.
_ROI_MESH = text_format.Parse(
    """
    input_stream: "image"
    input_stream: "roi"
    input_side_packet: "with_attention"
    output_stream: "face_landmarks"
    node {
      calculator: "FaceLandmarkCpu"
      input_stream: "IMAGE:image"
      input_stream: "ROI:roi"
      input_side_packet: "WITH_ATTENTION:with_attention"
      output_stream: "LANDMARKS:face_landmarks"
    }
    """,
    calculator_pb2.CalculatorGraphConfig(),
)


@dataclass(frozen=True, slots=True)
class SharedGraph:
    """How to build one stateless graph, and the key its thread keeps it under."""

    key: GraphKey
    make: Callable[[], Any]


def face_detector(model: int, confidence: float) -> SharedGraph:
    """The short-range (model 0) or full-range (model 1) face detector."""
    return SharedGraph(
        ("face_detection", model, confidence),
        lambda: _solutions.face_detection.FaceDetection(
            model_selection=model, min_detection_confidence=confidence
        ),
    )


def crop_mesh(refine: bool, confidence: float) -> SharedGraph:
    """face_mesh in static_image_mode: every image searched afresh, nothing carried over."""
    return SharedGraph(
        ("crop_face_mesh", refine, confidence),
        lambda: _solutions.face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=refine,
            min_detection_confidence=confidence,
        ),
    )


def roi_mesh(refine: bool) -> SharedGraph:
    """Landmarks of the face in a given region: process({"image": rgb, "roi": NormalizedRect})."""
    return SharedGraph(
        # 0.5: FaceLandmarkCpu's own face-presence threshold (fixed in the subgraph)
        ("roi_face_mesh", refine, 0.5),
        lambda: SolutionBase(
            graph_config=_ROI_MESH,
            side_inputs={"with_attention": refine},
            outputs=["face_landmarks"],
        ),
    )


def tracking_mesh(refine: bool, confidence: float) -> Any:
    """A face_mesh in tracking mode: it remembers the last face inside the graph, so it belongs
    to one person and is never shared (the caller closes it)."""
    return _solutions.face_mesh.FaceMesh(
        static_image_mode=False,
        max_num_faces=1,
        refine_landmarks=refine,
        min_detection_confidence=confidence,
        min_tracking_confidence=0.5,
    )


def _close(graph: Any) -> None:
    # best effort: a graph that fails to close (e.g. left in an error state) is dropped anyway
    with contextlib.suppress(Exception):
        graph.close()


def _close_all(graphs: dict[GraphKey, Any]) -> None:
    for graph in graphs.values():
        _close(graph)
    graphs.clear()


class ThreadGraphs:
    """The stateless mediapipe graphs of ONE thread, shared by every FaceFinder used on it.

    Why per thread and not per process: mediapipe graphs are not thread-safe, and the sampler
    runs each person's calls on whichever pool thread is free (one call in flight per person,
    but not always on the same thread). Calls on one thread are sequential, so a graph owned by
    the thread is never entered twice at once, whoever the call is for.
    Why sharing is safe: the detectors, a static_image_mode face_mesh and the region mesh keep
    nothing from one frame to the next, so their answer does not depend on whose frame came
    before.
    Lifetime: each graph is built on first use and lives until its thread ends (the
    thread-local storage is dropped): the sampler's pool threads at its shutdown, the main
    thread at exit. `FaceFinder.close` does not touch them.
    """

    def __init__(self) -> None:
        self._graphs: dict[GraphKey, Any] = {}
        # closed when the thread's storage is dropped, or at exit while mediapipe still works
        # (a __del__ would run too late there, after module globals are torn down)
        weakref.finalize(self, _close_all, self._graphs)

    def built(self) -> dict[GraphKey, Any]:
        """The graphs built so far on this thread, by what they were built with."""
        return dict(self._graphs)

    def process(
        self, shared: SharedGraph, inputs: npt.NDArray[np.uint8] | Mapping[str, Any]
    ) -> Any:
        """`graph.process(inputs)` on this thread's copy of `shared`, built if new."""
        graph = self._graphs.get(shared.key)
        if graph is None:
            graph = self._graphs[shared.key] = shared.make()
        try:
            return graph.process(inputs)
        except Exception:
            # a graph that failed may stay broken; rebuilt on the next call, so one person's
            # bad frame cannot turn everyone else on this thread into detector errors
            del self._graphs[shared.key]
            _close(graph)
            raise


_local = threading.local()


def thread_graphs() -> ThreadGraphs:
    """The calling thread's shared graphs (created empty on its first call)."""
    graphs: ThreadGraphs | None = getattr(_local, "graphs", None)
    if graphs is None:
        graphs = _local.graphs = ThreadGraphs()
    return graphs
