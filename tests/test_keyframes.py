"""Spotting VP8 keyframes in RTP payloads made by aiortc's own VP8 packetiser, and finding
VP8's payload types in a real aiortc SDP (the real Janus path is in test_janus_feed.py)."""

from __future__ import annotations

import fractions

import av
import numpy as np
import skimage.data
from aiortc.codecs.vpx import Vp8Encoder

from detectors import synthetic as syn
from meetbot.connectors.janus_feed import close_peer, peer_connection
from meetbot.connectors.keyframes import is_vp8_keyframe_start, vp8_payload_types


def picture(n: int) -> av.VideoFrame:
    face = syn.letterbox(skimage.data.astronaut(), (360, 640))  # type: ignore[no-untyped-call]
    frame = av.VideoFrame.from_ndarray(np.roll(face, 4 * n, axis=1), format="rgb24")
    frame.pts, frame.time_base = n * 3000, fractions.Fraction(1, 90_000)
    return frame


def test_only_the_first_packet_of_a_keyframe_is_spotted() -> None:
    encoder = Vp8Encoder()
    keyframe, _ = encoder.encode(picture(0), force_keyframe=True)
    inter, _ = encoder.encode(picture(1))
    again, _ = encoder.encode(picture(2), force_keyframe=True)
    assert len(keyframe) > 1  # a 640x360 keyframe spans several packets
    assert [is_vp8_keyframe_start(p) for p in keyframe] == [True] + [False] * (len(keyframe) - 1)
    assert not any(is_vp8_keyframe_start(p) for p in inter)
    assert is_vp8_keyframe_start(again[0])


def test_what_is_not_vp8_is_never_a_keyframe() -> None:
    assert not is_vp8_keyframe_start(b"")
    assert not is_vp8_keyframe_start(b"\x80")  # an extended descriptor cut short


async def test_vp8_payload_types_come_from_the_m_line_and_leave_rtx_out() -> None:
    pc = peer_connection(())  # no STUN: nothing leaves the machine
    try:
        pc.addTransceiver("audio")
        pc.addTransceiver("video")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
    finally:
        await close_peer(pc)
    video = vp8_payload_types(sdp, "1")
    assert len(video) == 1
    [pt] = video
    assert f"a=rtpmap:{pt} VP8/90000" in sdp
    assert vp8_payload_types(sdp, "0") == frozenset()  # the audio m-line
    assert vp8_payload_types(sdp, "7") == frozenset()  # no such m-line
