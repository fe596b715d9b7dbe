// @ts-check
// Profile script for Janus VideoRoom web clients (the janus-demos pages and anything built on
// janus.js): reads the page's own signalling, as meeting bots read Meet's or Teams' wire.
// - The VideoRoom events of the page's participant handle (the one that joined as a
//   publisher) go to Python as they are: who is there under which name, who publishes, who
//   talks, who left, whether the room was destroyed or the bot kicked.
// - Every subscriber offer names the feed behind each mid; when the page applies that offer to
//   a connection, its mids are reported as owners, so each track is tied to a person.
(() => {
  const bridge = window.__meetbot;
  if (!bridge || window.__meetbotJanusTap) return;
  window.__meetbotJanusTap = true;
  let participantHandle = null;
  const offers = new Map(); // offer SDP -> {mid: feed id | null}

  function outgoing(text) {
    try {
      const msg = JSON.parse(text);
      const body = msg && msg.body;
      if (body && body.request === "join" && body.ptype === "publisher") {
        participantHandle = msg.handle_id;
        bridge.post({ type: "janus_join", room: body.room, display: body.display });
      }
    } catch (e) {
      /* not JSON: not ours to read */
    }
  }

  function incoming(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.janus === "timeout" || msg.janus === "error") {
      bridge.post({ type: "janus_session", janus: msg.janus, error: msg.error || null });
      return;
    }
    const plugin = msg.plugindata;
    if (!plugin || plugin.plugin !== "janus.plugin.videoroom") return;
    const data = plugin.data || {};
    if (msg.sender === participantHandle) {
      bridge.post({ type: "janus", data });
      return;
    }
    const jsep = msg.jsep;
    if (jsep && jsep.type === "offer" && Array.isArray(data.streams)) {
      const mids = {};
      for (const s of data.streams) {
        if (s.type !== "audio" && s.type !== "video") continue;
        mids[s.mid] = s.active === false || s.feed_id === undefined ? null : s.feed_id;
      }
      offers.set(jsep.sdp, mids);
      if (offers.size > 64) offers.delete(offers.keys().next().value);
    }
  }

  bridge.hooks.remoteDescription.push((pc, desc) => {
    const mids = desc && offers.get(desc.sdp);
    if (mids) bridge.post({ type: "owners", pc: pc.__meetbotPc, mids });
  });

  const NativeSocket = window.WebSocket;
  /** @param {ConstructorParameters<typeof WebSocket>} args */
  function Socket(...args) {
    const ws = new NativeSocket(...args);
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      if (typeof data === "string") outgoing(data);
      return send(data);
    };
    ws.addEventListener("message", (ev) => {
      if (typeof ev.data !== "string") return;
      try {
        const parsed = JSON.parse(ev.data);
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) incoming(m);
      } catch (e) {
        /* not JSON */
      }
    });
    return ws;
  }
  Socket.prototype = NativeSocket.prototype;
  Object.setPrototypeOf(Socket, NativeSocket);
  // A plain function standing in for the class (its prototype and statics are the native's).
  window.WebSocket = /** @type {any} */ (Socket);

  // The HTTP transport (long polling) carries the same messages.
  const nativeFetch = window.fetch;
  window.fetch = async (input, init) => {
    if (init && typeof init.body === "string") outgoing(init.body);
    const response = await nativeFetch(input, init);
    response
      .clone()
      .json()
      .then((parsed) => {
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) incoming(m);
      })
      .catch(() => {});
    return response;
  };
})();
