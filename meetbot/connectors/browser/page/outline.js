// @ts-check
// The mend kit's page outline (`meetbot probe --save-page`), evaluated once per join screen by
// meetbot/connectors/browser/outline.py, never injected. It describes how the page is BUILT,
// for whoever mends a platform profile's selectors: each element's tag, id, classes and role,
// the names of its data-* attributes, and the words of the page's controls and headings (the
// buttons a profile clicks, the aria-labels it matches). It must never carry who is in the
// meeting or what they said, nor any picture:
// - no free text at all: only controls (buttons, links, inputs, [role=button], ...) and
//   headings say their words; an input says its placeholder and label, never its value;
// - people places: list entries (participant lists), chat logs and live regions keep their
//   structure but lose every word (menus and toolbars are not people places); what they show,
//   and what the tiles around each video, canvas or image show besides their controls and
//   headings (a name label, a name kept in an attribute), is cut out of every word kept
//   anywhere ("Pin Ana Souza" becomes "Pin …"), so a tile's own buttons still say what they do;
// - data-* values only for test hooks (data-testid, data-tid, ...) that are identifier-like
//   (no blanks) and outside people places: new Teams keeps a tile's display name in data-tid;
// - no src, poster, href, alt or value, no canvas or video contents, no page title, and of the
//   address only its origin (a path may hold the meeting code).
// Python then cuts the chapter's roster names out of every string as well.
(() => {
  const MAX_NODES = 4000;
  const MAX_DEPTH = 60;
  const MAX_WORDS = 120;
  const SAME_SHOWN = 3; // like siblings (a list of 50 tiles) after this are only counted
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "LINK", "META", "OPTION"]);
  const LEAF = new Set(["SVG", "VIDEO", "AUDIO", "CANVAS", "IMG", "PICTURE", "IFRAME", "SELECT", "TEXTAREA"]);
  const MEDIA = "video, canvas, img, picture";
  const CONTROL =
    'button, input, select, textarea, a[href], summary, [role="button"], [role="link"], ' +
    '[role="menuitem"], [role="menuitemcheckbox"], [role="menuitemradio"], [role="tab"], ' +
    '[role="switch"], [role="checkbox"], [role="radio"], [role="combobox"], [role="textbox"], ' +
    '[contenteditable=""], [contenteditable="true"]';
  // Controls whose contents are someone's words (a draft, a chosen device): no text from them.
  const TYPED = 'input, select, textarea, [role="textbox"], [role="combobox"], [contenteditable]';
  const HEADING = 'h1, h2, h3, h4, h5, h6, [role="heading"]';
  const PEOPLE =
    'li, [role="listitem"], [role="treeitem"], [role="row"], [role="gridcell"], ' +
    '[role="option"], [role="article"], [role="log"], [role="feed"], [aria-live="polite"], ' +
    '[aria-live="assertive"]';
  const MENU = '[role="menu"], [role="menubar"], [role="toolbar"], nav';
  const HOOKS = new Set(["data-testid", "data-test-id", "data-test", "data-tid", "data-cid", "data-qa", "data-automation-id"]);
  const HOOK_VALUE = /^[A-Za-z0-9][\w.:-]{0,59}$/;
  const clean = (/** @type {string | null | undefined} */ s) => (s || "").replace(/\s+/g, " ").trim();

  // The tiles: around each picture, up to 3 levels up, never a part holding another picture.
  /** @type {Set<Element>} */
  const tiles = new Set();
  for (const media of document.querySelectorAll(MEDIA)) {
    let tile = media;
    for (let up = 0; up < 3; up++) {
      const parent = tile.parentElement;
      if (!parent || parent === document.body || parent.matches("html, body, main")) break;
      if (parent.querySelectorAll(MEDIA).length > 1) break;
      tile = parent;
    }
    tiles.add(tile);
  }
  const listed = (/** @type {Element} */ el) => {
    const entry = el.closest(PEOPLE);
    return !!entry && !entry.closest(MENU);
  };
  const control = (/** @type {Element | null} */ el) => !!el && !!el.closest(CONTROL);

  // What people places show: their texts and attribute values, in pieces, cut out elsewhere.
  /** @type {Set<string>} */
  const shown = new Set();
  const remember = (/** @type {string | null} */ s) => {
    for (const piece of clean(s).split(/[,;:()|•\n]/)) {
      const kept = clean(piece);
      if (kept.length >= 3 && /\p{L}.*\p{L}/u.test(kept)) shown.add(kept.toLowerCase());
    }
  };
  const NAMED = /^(aria-label|title|alt|data-.*)$/;
  for (const place of document.querySelectorAll(PEOPLE)) {
    if (!listed(place)) continue;
    const walker = document.createTreeWalker(place, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) remember(node.nodeValue);
    for (const el of [place, ...place.querySelectorAll("*")]) {
      for (const attr of el.attributes) if (NAMED.test(attr.name)) remember(attr.value);
    }
  }
  for (const tile of tiles) {
    const walker = document.createTreeWalker(tile, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!control(parent) && !(parent && parent.closest(HEADING))) remember(node.nodeValue);
    }
    for (const el of [tile, ...tile.querySelectorAll("*")]) {
      if (control(el)) continue;
      for (const attr of el.attributes) if (NAMED.test(attr.name)) remember(attr.value);
    }
  }
  const phrases = [...shown].sort((a, b) => b.length - a.length);
  const escape = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const cut = phrases.length ? new RegExp(phrases.map(escape).join("|"), "giu") : null;
  const words = (/** @type {string | null | undefined} */ s) => {
    let out = clean(s).replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "…"); // e-mail addresses
    if (cut) out = out.replace(cut, "…");
    return out.length > MAX_WORDS ? out.slice(0, MAX_WORDS - 1) + "…" : out;
  };

  /** @type {{controls: object[], headings: object[]}} */
  const lists = { controls: [], headings: [] };
  let nodes = 0;
  let truncated = false;

  const describe = (/** @type {Element} */ el, /** @type {number} */ depth) => {
    nodes += 1;
    const people = listed(el);
    /** @type {Record<string, any>} */
    const out = { tag: el.tagName.toLowerCase() };
    if (el.id) out.id = words(el.id);
    const classes = [...el.classList].slice(0, 12).map(words);
    if (classes.length) out.classes = classes;
    const role = el.getAttribute("role");
    if (role) out.role = role;
    /** @type {Record<string, string | null>} */
    const data = {};
    for (const attr of el.attributes) {
      if (!attr.name.startsWith("data-")) continue;
      const value = clean(attr.value);
      const safe = !people && HOOKS.has(attr.name) && HOOK_VALUE.test(value) && words(value) === value;
      data[attr.name] = safe ? value : null;
    }
    if (Object.keys(data).length) out.data = data;
    if (people) {
      out.people = true; // structure only: no words from here
    } else {
      const label = words(el.getAttribute("aria-label"));
      if (label) out.label = label;
      const title = words(el.getAttribute("title"));
      if (title) out.title = title;
    }
    const isControl = el.matches(CONTROL);
    const heading = el.matches(HEADING);
    if (isControl || heading) {
      if (!people && !el.matches(TYPED)) {
        const text = words(el.textContent);
        if (text) out.text = text;
      }
      if (el instanceof HTMLInputElement || el instanceof HTMLButtonElement) out.type = el.type;
      const placeholder = el.getAttribute("placeholder");
      if (placeholder && !people) out.placeholder = words(placeholder);
      if (el.matches(":disabled") || el.getAttribute("aria-disabled") === "true") out.disabled = true;
      if (el.getClientRects().length === 0) out.hidden = true;
      const flat = Object.fromEntries(Object.entries(out).filter(([k]) => k !== "children"));
      (isControl ? lists.controls : lists.headings).push(flat);
    }
    if (el.tagName === "IFRAME") {
      try {
        out.origin = new URL(/** @type {HTMLIFrameElement} */ (el).src).origin;
      } catch (e) {
        out.origin = "";
      }
    }
    if (LEAF.has(el.tagName.toUpperCase()) || depth >= MAX_DEPTH) return out;
    const kids = [...el.children];
    if (el.shadowRoot) kids.push(...el.shadowRoot.children);
    /** @type {object[]} */
    const children = [];
    let last = "";
    let same = 0;
    for (const kid of kids) {
      if (SKIP.has(kid.tagName.toUpperCase())) continue;
      if (nodes >= MAX_NODES) {
        truncated = true;
        break;
      }
      const kind = `${kid.tagName}#${kid.id}.${kid.className}@${kid.getAttribute("role")}`;
      same = kind === last ? same + 1 : 1;
      last = kind;
      if (same > SAME_SHOWN) {
        const previous = /** @type {Record<string, any>} */ (children[children.length - 1]);
        previous.more = (previous.more || 0) + 1;
        continue;
      }
      children.push(describe(kid, depth + 1));
    }
    if (children.length) out.children = children;
    return out;
  };

  const tree = document.body ? describe(document.body, 0) : null;
  return {
    origin: location.origin,
    top: window === window.top,
    media: {
      videos: document.querySelectorAll("video").length,
      canvases: document.querySelectorAll("canvas").length,
      images: document.querySelectorAll("img").length,
    },
    controls: lists.controls,
    headings: lists.headings,
    tree,
    nodes,
    truncated,
  };
})();
