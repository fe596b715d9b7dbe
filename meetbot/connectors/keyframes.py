"""Spotting VP8 keyframes in the RTP packets an aiortc receiver gets.

Why: a video paused at the server between samples comes back as inter frames that reference a
picture the bot decoded a second ago, until the keyframe the resume asked for arrives. Those
frames decode without error into a smeared picture (no face: "absent"). A decoded frame does
not say whether it is a keyframe (PyAV's libvpx decoder leaves `key_frame` unset), but its
`pts` is the RTP timestamp of its packets, so noting the timestamp of each keyframe's first
packet lets the sampler admit frames from the keyframe on.

aiortc has no public hook for received packets: the spotter wraps the receiver instance's
`_handle_rtp_packet` (aiortc 1.16; RTCDtlsTransport calls it per routed packet), looks at the
payload and hands the packet on untouched. Only VP8 is recognised; for other codecs `spot`
returns None and the sampler falls back to timestamps alone.
"""

from __future__ import annotations

import logging
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtp import RtpPacket
from aiortc.sdp import SessionDescription

from meetbot.connectors.base import Keyframe

log = logging.getLogger(__name__)


def is_vp8_keyframe_start(payload: bytes) -> bool:
    """Is this RTP payload the first packet of a VP8 keyframe (RFC 7741: S=1, PID=0 and the
    frame tag's P bit clear)?"""
    # Every received packet comes through here: the descriptor's first byte (S=1, PID=0) rules
    # out all but one packet per frame before the full parse.
    if not payload or payload[0] & 0x17 != 0x10:
        return False
    try:
        descriptor, data = VpxPayloadDescriptor.parse(payload)
    except ValueError:
        return False  # not VP8 (or truncated): never a keyframe we can vouch for
    return bool(
        descriptor.partition_start and descriptor.partition_id == 0 and data and not data[0] & 1
    )


def vp8_payload_types(sdp: str, mid: str) -> frozenset[int]:
    """The payload types that carry VP8 (not its RTX) in the m-line `mid` of `sdp`."""
    for media in SessionDescription.parse(sdp).media:
        if media.rtp.muxId == mid:
            return frozenset(
                codec.payloadType
                for codec in media.rtp.codecs
                if codec.mimeType.lower() == "video/vp8" and codec.payloadType is not None
            )
    return frozenset()


class KeyframeSpotter:
    """Remembers the newest VP8 keyframe one receiver got (see the module docstring)."""

    def __init__(self, receiver: RTCRtpReceiver, payload_types: frozenset[int]) -> None:
        self.payload_types = payload_types
        self.newest: Keyframe | None = None
        handle = receiver._handle_rtp_packet

        async def spot_then_handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            self._look(packet)
            await handle(packet, arrival_time_ms)

        hooked: Any = receiver  # an instance attribute shadows the method for this receiver only
        hooked._handle_rtp_packet = spot_then_handle

    def _look(self, packet: RtpPacket) -> None:
        if packet.payload_type in self.payload_types and is_vp8_keyframe_start(packet.payload):
            seen = 1 if self.newest is None else self.newest.seen + 1
            self.newest = Keyframe(seen, packet.timestamp)


def spot(receiver: RTCRtpReceiver, sdp: str, mid: str) -> KeyframeSpotter | None:
    """A spotter on `receiver` when the stream `mid` of the negotiated `sdp` is VP8."""
    types = vp8_payload_types(sdp, mid)
    if not types:
        log.info("stream %s is not VP8: resumed video is admitted by timestamps only", mid)
        return None
    return KeyframeSpotter(receiver, types)
