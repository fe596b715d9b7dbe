// The page <-> Python contract, for the page scripts' type check (tsc --checkJs in scripts/gate).
// meetbot/connectors/browser/wire.py and to_page.py are the same contract in Python;
// tests/test_browser_wire.py keeps them equal: one interface per message, one field per line.

// --- page -> Python: JSON on the link, each stamped with `sent` by core.js's post ---
interface TrackMessage {
  type: "track";
  id: string;
  kind: "audio" | "video";
  pc: number;
  mid: string | null;
}
interface TrackEndedMessage {
  type: "track_ended";
  id: string;
}
interface TrackMutedMessage {
  type: "track_muted";
  id: string;
  muted: boolean;
}
interface ConnectionMessage {
  type: "connection";
  pc: number;
  state: string;
}
interface LevelsMessage {
  type: "levels";
  levels: [string, number][];
}
interface TileShown {
  key: string;
  name: string;
}
interface TilesMessage {
  type: "tiles";
  tiles: TileShown[];
}
interface LogMessage {
  type: "log";
  message: string;
}
interface JanusMessage {
  type: "janus";
  data: Record<string, unknown>;
}
interface OwnersMessage {
  type: "owners";
  pc: number;
  mids: Record<string, number | string | null>;
}
interface JanusJoinMessage {
  type: "janus_join";
  room: number | string;
  display: string;
}
interface JanusSessionMessage {
  type: "janus_session";
  janus: string;
  error: Record<string, unknown> | null;
}
interface DomMessage {
  type: "dom";
  tiles: string[];
  owners: Record<string, string>;
  speaking: string[] | null;
  roster: string[] | null;
  ended: string[];
  removed: string[];
}
type PageMessage =
  | TrackMessage
  | TrackEndedMessage
  | TrackMutedMessage
  | ConnectionMessage
  | LevelsMessage
  | TilesMessage
  | LogMessage
  | JanusMessage
  | OwnersMessage
  | JanusJoinMessage
  | JanusSessionMessage
  | DomMessage;

// --- Python -> page ---
/** window.__meetbotConfig (to_page.PageConfig), set before any page script runs. */
interface PageConfig {
  fps: number;
  maxWidth: number;
  capture: string;
  perSample: number;
  link: string;
  levelsMs: number;
  frame: string;
}
/** window.__meetbotProfile (to_page.ProfileFacts): the profile's selectors and page facts. */
interface ProfileFacts {
  tile: string;
  name: string;
  video: string;
  speaking: string;
  nextPage: string;
  participants: string;
  participantName: string;
  ended: string[];
  removed: string[];
  pageSize: number;
  pageDwellMs: number;
}
/** A command on the link (to_page.command). */
interface ValveCommand {
  type: "pause" | "resume";
  ids: string[];
}

// --- what the core offers the profile scripts (window.__meetbot) ---
interface Tile {
  key: string;
  name: string;
  video: HTMLVideoElement;
  tile: HTMLElement;
}
interface Bridge {
  config: PageConfig & { quality: number };
  post: (message: PageMessage) => void;
  hooks: {
    remoteDescription: ((pc: RTCPeerConnection, desc: RTCSessionDescriptionInit) => void)[];
    track: ((pc: RTCPeerConnection, mid: string | null, track: MediaStreamTrack, id: string) => void)[];
  };
  connections: () => number;
  idOf: (track: MediaStreamTrack | null) => string | null;
  setTiles: (source: () => Tile[]) => void;
}

interface Window {
  __meetbot?: Bridge;
  __meetbotConfig?: Partial<PageConfig>;
  __meetbotProfile?: Partial<ProfileFacts>;
  __meetbotDom?: boolean;
  __meetbotJanusTap?: boolean;
  // Playwright bindings, when there is no link (the bench's comparison)
  __meetbotEvent?: (text: string) => void;
  __meetbotFrame?: (id: string, at: number, jpegBase64: string) => void;
  webkitRTCPeerConnection?: typeof RTCPeerConnection;
}
interface RTCPeerConnection {
  __meetbotPc: number;
}
interface MediaStreamTrack {
  __meetbotId?: string;
}

// Chromium's insertable streams (not in TypeScript's DOM library yet).
declare class MediaStreamTrackProcessor {
  constructor(init: { track: MediaStreamTrack });
  readonly readable: ReadableStream<VideoFrame>;
}
