// @ts-check
// meetbot's page core, injected before any page script (Playwright add_init_script).
// Generic for any WebRTC client: it wraps RTCPeerConnection, gives each received track its own
// id ("p<connection>:<mid>": track.id is not unique, Janus names every track "janus1"), samples
// each remote video `fps` times a second (or the rendered tiles, in tiles mode), downscaled to
// `maxWidth` and JPEG-encoded, and reports audio levels and track ended/muted. Pictures (binary)
// and JSON messages go to Python over a loopback WebSocket (cfg.link; the Playwright bindings
// __meetbotFrame and __meetbotEvent when there is none, or when the page may not open it).
// wire.d.ts types every message.
// Nothing is stored: a frame exists only until Python has it.
// Platform profiles (loaded after this) read page facts and post through window.__meetbot.
(() => {
  if (window.__meetbot) return;
  const cfg = Object.assign(
    { fps: 1, maxWidth: 640, quality: 0.85, capture: "tracks", perSample: 2, levelsMs: 0, link: "", frame: "" },
    window.__meetbotConfig || {},
  );
  // Playwright runs init scripts in every frame; meeting pages carry hidden ones (sign-in, RPC,
  // captcha). One frame speaks for the meeting: the top one, or the profile's `frame` for a
  // client that lives in an iframe. Elsewhere there is no bridge, so no profile script runs.
  let host = null;
  try {
    host = window.frameElement; // null when cross-origin to its parent
  } catch (e) {
    host = null;
  }
  if (cfg.frame ? !(host && host.matches(cfg.frame)) : window !== window.top) return;
  // Frames are sent `perSample` times per sampling period, so the sampler always finds a
  // fresh one whatever its phase; it keeps only the newest.
  const sendEveryMs = 1000 / (cfg.fps * cfg.perSample);
  // The line to Python: a loopback WebSocket (cfg.link) for JSON events and binary pictures;
  // Playwright bindings when there is none. Events wait in order until the socket is open.
  const NativeSocket = window.WebSocket;
  let link = null;
  const waiting = [];
  // Tracks the sampler paused between its samples (Python's PageValve): no picture of them is
  // taken or encoded until resumed, and the first frame after a resume is sent at once.
  const paused = new Set();
  const wanted = new Set();
  const viaBindings = (text) => {
    if (typeof window.__meetbotEvent === "function") window.__meetbotEvent(text);
  };
  // A socket that closes before it ever opened was refused: Chromium's Local Network Access
  // (a public page may not reach 127.0.0.1 without a permission) or the page's own CSP. The
  // bindings carry everything from then on, so the page never goes silent; only pause/resume
  // commands, which come over the socket, are lost.
  const blocked = (why) => {
    link = null;
    for (const text of waiting.splice(0)) viaBindings(text);
    post({ type: "log", message: `page link blocked (${why}): Playwright's bindings carry it` });
  };
  if (cfg.link) {
    try {
      link = new NativeSocket(cfg.link);
    } catch (e) {
      link = null;
    }
  }
  if (link) {
    let opened = false;
    link.binaryType = "arraybuffer";
    link.addEventListener("open", () => {
      opened = true;
      for (const text of waiting.splice(0)) link.send(text);
    });
    // Local Network Access closes the socket (1006); a page's CSP only fires "error".
    const socket = link;
    const refused = (why) => {
      if (!opened && link === socket) blocked(why);
    };
    link.addEventListener("error", () => refused("error before it opened"));
    link.addEventListener("close", (ev) => refused(`closed with ${ev.code}`));
    link.addEventListener("message", (ev) => {
      if (typeof ev.data !== "string") return;
      let command;
      try {
        command = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      for (const id of command.ids || []) {
        // A pause never cancels a picture a resume asked for: on a busy page the pause may
        // come before the next frame does, and the sampler then takes that picture late.
        if (command.type === "pause") {
          paused.add(id);
        } else if (command.type === "resume") {
          paused.delete(id);
          wanted.add(id);
        }
      }
    });
  }
  /** @param {PageMessage} event one of wire.d.ts's messages; `sent` is stamped here */
  const post = (event) => {
    const text = JSON.stringify({ ...event, sent: performance.timeOrigin + performance.now() });
    if (link) {
      if (link.readyState === 1) link.send(text);
      else if (waiting.length < 2000) waiting.push(text);
    } else {
      viaBindings(text);
    }
  };
  if (cfg.link && !link) blocked("refused at once");
  const hooks = { remoteDescription: [], track: [] };
  const pcs = [];
  let pcSeq = 0;

  function base64(bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }

  // One small canvas per source; drawImage both scales and converts, JPEG keeps the hop small.
  function encoder() {
    const canvas = new OffscreenCanvas(2, 2);
    const ctx = canvas.getContext("2d", { alpha: false });
    return async (source, width, height) => {
      const w = Math.min(width, cfg.maxWidth);
      const h = Math.max(2, Math.round((height * w) / width));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      ctx.drawImage(source, 0, 0, w, h);
      return canvas.convertToBlob({ type: "image/jpeg", quality: cfg.quality });
    };
  }

  const encoderText = new TextEncoder();
  const epochMs = () => performance.timeOrigin + performance.now();
  // `at` is when the picture was taken from the video (its capture time for the sampler),
  // `sent` when its JPEG was ready: the difference is the page's encoding delay.
  async function sendFrame(id, jpeg, at) {
    if (link) {
      // A socket that cannot keep up loses pictures, never queues them.
      if (link.readyState !== 1 || link.bufferedAmount > 4 * 1024 * 1024) return;
      const header = encoderText.encode(JSON.stringify({ id, at, sent: epochMs() }));
      const size = new Uint8Array([header.length >> 8, header.length & 255]);
      link.send(new Blob([size, header, jpeg]));
    } else if (typeof window.__meetbotFrame === "function") {
      window.__meetbotFrame(id, at, base64(new Uint8Array(await jpeg.arrayBuffer())));
    }
  }

  // --- tracks mode: every received video track, straight from the decoder ---
  function pump(id, track) {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    const encode = encoder();
    let last = -1e9;
    let busy = false;
    (async () => {
      for (;;) {
        let result;
        try {
          result = await reader.read();
        } catch (e) {
          break;
        }
        if (result.done) break;
        const frame = result.value;
        const now = performance.now();
        const resumed = wanted.has(id);
        if (busy || !frame.displayWidth || (!resumed && (paused.has(id) || now - last < sendEveryMs))) {
          frame.close();
          continue;
        }
        wanted.delete(id);
        last = now;
        busy = true;
        const at = epochMs();
        encode(frame, frame.displayWidth, frame.displayHeight)
          .then((jpeg) => sendFrame(id, jpeg, at))
          .catch((e) => post({ type: "log", message: `frame of ${id}: ${e}` }))
          .finally(() => {
            frame.close();
            busy = false;
          });
      }
    })();
  }

  // --- tiles mode: what the page renders, labelled by the profile ---
  const tileEncoders = new Map();
  let tileSource = null; // set by the profile: () => [{key, name, video}]
  function sampleTiles() {
    if (!tileSource) return;
    let tiles = [];
    try {
      tiles = tileSource();
    } catch (e) {
      post({ type: "log", message: `tiles: ${e}` });
    }
    const shown = [];
    for (const tile of tiles) {
      const video = tile.video;
      if (!video || !video.videoWidth) continue;
      // Laid out on the page (scrolled out of the viewport still counts: it is rendered).
      const box = video.getBoundingClientRect();
      if (!(box.width > 0 && box.height > 0)) continue;
      shown.push({ key: tile.key, name: tile.name });
      let encode = tileEncoders.get(tile.key);
      if (!encode) tileEncoders.set(tile.key, (encode = encoder()));
      const at = epochMs();
      encode(video, video.videoWidth, video.videoHeight)
        .then((jpeg) => sendFrame("tile:" + tile.key, jpeg, at))
        .catch((e) => post({ type: "log", message: `tile ${tile.key}: ${e}` }));
    }
    post({ type: "tiles", tiles: shown });
  }
  if (cfg.capture === "tiles") setInterval(sampleTiles, sendEveryMs);

  // --- connections and tracks ---
  const Native = window.RTCPeerConnection;
  function Wrapped(...args) {
    const pc = new Native(...args);
    pc.__meetbotPc = ++pcSeq;
    pcs.push(pc);
    const setRemote = pc.setRemoteDescription.bind(pc);
    pc.setRemoteDescription = (desc, ...rest) => {
      for (const hook of hooks.remoteDescription) {
        try {
          hook(pc, desc);
        } catch (e) {
          post({ type: "log", message: `remote description hook: ${e}` });
        }
      }
      return setRemote(desc, ...rest);
    };
    pc.addEventListener("track", (ev) => onTrack(pc, ev));
    pc.addEventListener("connectionstatechange", () =>
      post({ type: "connection", pc: pc.__meetbotPc, state: pc.connectionState }),
    );
    return pc;
  }
  Wrapped.prototype = Native.prototype;
  Object.setPrototypeOf(Wrapped, Native);
  // A plain function standing in for the class (its prototype and statics are the native's).
  window.RTCPeerConnection = /** @type {any} */ (Wrapped);
  window.webkitRTCPeerConnection = /** @type {any} */ (Wrapped);

  const trackId = (pc, mid, track) => `p${pc.__meetbotPc}:${mid ?? track.id}`;
  function onTrack(pc, ev) {
    const track = ev.track;
    const mid = ev.transceiver ? ev.transceiver.mid : null;
    const id = trackId(pc, mid, track);
    const fresh = !track.__meetbotId;
    track.__meetbotId = id;
    post({ type: "track", id, kind: track.kind, pc: pc.__meetbotPc, mid });
    for (const hook of hooks.track) hook(pc, mid, track, id);
    if (!fresh) return; // a re-used transceiver: its reader is already running
    track.addEventListener("ended", () => post({ type: "track_ended", id }));
    track.addEventListener("mute", () => post({ type: "track_muted", id, muted: true }));
    track.addEventListener("unmute", () => post({ type: "track_muted", id, muted: false }));
    if (track.kind === "video" && cfg.capture === "tracks") pump(id, track);
  }

  // Audio levels per receiver (RFC 6464 through getSynchronizationSources): the speech fallback,
  // polled only when Python uses it (levelsMs > 0). Each getSynchronizationSources is a blocking
  // call into WebRTC's worker thread: while a connection is set up on a busy machine it holds
  // the main thread, and with it the stamps of the signalling the page reads.
  if (cfg.levelsMs > 0) setInterval(() => {
    /** @type {[string, number][]} */
    const levels = [];
    for (const pc of pcs) {
      if (pc.connectionState === "closed") continue;
      for (const tr of pc.getTransceivers()) {
        const r = tr.receiver;
        if (!r || !r.track || r.track.kind !== "audio" || !r.track.__meetbotId) continue;
        const sources = r.getSynchronizationSources();
        if (sources.length) levels.push([r.track.__meetbotId, sources[0].audioLevel ?? 0]);
      }
    }
    if (levels.length) post({ type: "levels", levels });
  }, cfg.levelsMs);

  window.__meetbot = {
    config: cfg,
    post,
    hooks,
    connections: () => pcs.filter((pc) => pc.connectionState !== "closed").length,
    idOf: (track) => (track && track.__meetbotId) || null,
    setTiles: (source) => {
      tileSource = source;
    },
  };
})();
