// @ts-check
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
  // Names and page text compared as people read them: runs of whitespace as one space, and
  // typographic apostrophes as plain ones (live copy says "can’t", profiles write "can't").
  const clean = (s) => (s || "").replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, " ").trim();
  // A name source: "selector" (that element's text, or a field's value: a client that keeps a
  // name in an input), "selector@attribute", or "@attribute" (the element's own). List entries
  // and tiles hold icons, "(you)" and roles besides the name: the source picks the name alone.
  const nameIn = (el, source) => {
    const at = source.indexOf("@");
    const selector = at < 0 ? source : source.slice(0, at);
    const target = el && (selector ? el.querySelector(selector) : el);
    if (!target) return "";
    if (at >= 0) return clean(target.getAttribute(source.slice(at + 1)));
    return clean(target instanceof HTMLInputElement ? target.value : target.textContent);
  };
  const has = (el, selector) => !!selector && (el.matches(selector) || !!el.querySelector(selector));

  function tiles() {
    const out = [];
    for (const tile of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(p.tile))) {
      const name = nameIn(tile, p.name || "");
      const video = tile.querySelector(p.video);
      if (name && video && tile.offsetParent !== null) out.push({ key: name, name, video, tile });
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out;
  }
  // More people than a page of tiles: show one page at a time and turn every pageDwellMs, so
  // everyone is sampled in turn. A client with its own pager gets its "next page" button
  // clicked; otherwise the tiles off the current page are hidden (not rendered, not sampled).
  const size = Math.max(1, p.pageSize || 9);
  let page = 0;
  let turnedAt = performance.now();
  function onePage(all) {
    if (all.length <= size) {
      for (const t of all) t.tile.style.visibility = "";
      return all;
    }
    if (performance.now() - turnedAt >= (p.pageDwellMs || 10000)) {
      page += 1;
      turnedAt = performance.now();
      const next = p.nextPage && /** @type {HTMLElement | null} */ (document.querySelector(p.nextPage));
      if (next) next.click();
    }
    if (p.nextPage && document.querySelector(p.nextPage)) return all; // the client pages
    const pages = Math.ceil(all.length / size);
    const first = (page % pages) * size;
    const shown = all.slice(first, first + size);
    for (const t of all) t.tile.style.visibility = shown.includes(t) ? "" : "hidden";
    return shown;
  }
  const onScreen = (t) => t.tile.style.visibility !== "hidden";
  bridge.setTiles(() => onePage(tiles()));

  const trackOf = (video) => {
    const stream = video && video.srcObject;
    return stream && stream.getVideoTracks ? stream.getVideoTracks()[0] : null;
  };
  setInterval(() => {
    const shown = tiles().filter(onScreen);
    /** @type {Record<string, string>} */
    const owners = {};
    const speaking = [];
    for (const t of shown) {
      const id = bridge.idOf(trackOf(t.video));
      if (id) owners[id] = t.name;
      if (has(t.tile, p.speaking)) speaking.push(t.name);
    }
    // No entry at all is no list (closed, or not drawn yet), never "nobody is here": null, and
    // Python goes by the tiles. An entry whose name is empty (a call's peer field after a
    // hang-up) is a list that names nobody.
    const entries = p.participants ? [...document.querySelectorAll(p.participants)] : [];
    const roster = entries.length
      ? entries.map((el) => nameIn(el, p.participantName || "")).filter(Boolean)
      : null;
    const body = clean(document.body && document.body.innerText);
    const says = (phrases) => (phrases || []).filter((s) => body.includes(clean(s)));
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
