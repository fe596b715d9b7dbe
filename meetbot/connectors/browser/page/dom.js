// Profile script for clients read from their page (tiles, labels, participant list), driven by
// the profile's selector table in window.__meetbotProfile. Twice a second it reports which
// names are on screen, which received track each tile shows (so tracks get names), who the
// page marks as speaking, the participant list, and whether the page says the meeting ended
// or the bot was removed. In tiles mode it also tells the core which tiles to cut pictures from.
(() => {
  const bridge = window.__meetbot;
  const p = window.__meetbotProfile || {};
  if (!bridge || !p.tile || window.__meetbotDom) return;
  window.__meetbotDom = true;
  const text = (el) => ((el && el.textContent) || "").trim();
  const has = (el, selector) => !!selector && (el.matches(selector) || !!el.querySelector(selector));

  function tiles() {
    const out = [];
    for (const tile of document.querySelectorAll(p.tile)) {
      const name = text(tile.querySelector(p.name));
      const video = tile.querySelector(p.video);
      if (name && video && tile.offsetParent !== null) out.push({ key: name, name, video, tile });
    }
    return out;
  }
  bridge.setTiles(tiles);

  const trackOf = (video) => {
    const stream = video && video.srcObject;
    return stream && stream.getVideoTracks ? stream.getVideoTracks()[0] : null;
  };
  setInterval(() => {
    const shown = tiles();
    const owners = {};
    const speaking = [];
    for (const t of shown) {
      const id = bridge.idOf(trackOf(t.video));
      if (id) owners[id] = t.name;
      if (has(t.tile, p.speaking)) speaking.push(t.name);
    }
    const roster = p.participants
      ? [...document.querySelectorAll(p.participants)].map(text).filter(Boolean)
      : null;
    const body = (document.body && document.body.innerText) || "";
    const says = (phrases) => (phrases || []).filter((s) => body.includes(s));
    bridge.post({
      type: "dom",
      tiles: shown.map((t) => t.name),
      owners,
      speaking: p.speaking ? speaking : null,
      roster,
      ended: says(p.ended),
      removed: says(p.removed),
    });
  }, 500);
})();
