// Accessibility checks run inside a page by tests/browser.py (Runtime.evaluate).
//
// Written for govern's documents after WCAG 2.1 level AA: text contrast (1.4.3: 4.5:1, or 3:1
// for large text), a language and a title (3.1.1, 2.4.2), headings in order (1.3.1, 2.4.6),
// tables with captions and header cells (1.3.1), text alternatives for images and charts
// (1.1.1), labels for form controls and names for links (4.1.2, 2.4.4), unique ids and
// resolvable aria references (4.1.1). Returns {violations: [...], facts: {...}}.
(() => {
  const violations = [];
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const cls = el.getAttribute && el.getAttribute("class") ? `.${el.getAttribute("class").split(/\s+/).join(".")}` : "";
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);
    return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
  };
  const flag = (rule, el, detail) => violations.push({ rule, element: el ? describe(el) : "", detail });

  // -- colours ---------------------------------------------------------------------------
  const parse = (value) => {
    const m = /rgba?\(([^)]+)\)/.exec(value || "");
    if (!m) return null;
    const parts = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const luminance = (c) => {
    const channel = (v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const white = { r: 255, g: 255, b: 255, a: 1 };
  const background = (el) => {
    // Layers of background colour from the element up to the page, composited on white.
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node instanceof SVGElement && node.tagName.toLowerCase() !== "svg") continue;
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), white);
  };
  const visible = (el) => {
    if (typeof el.checkVisibility === "function" && !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    return el.getClientRects().length > 0;
  };
  let textsChecked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    seen.add(el);
    if (!visible(el)) continue;
    const style = getComputedStyle(el);
    const inSvg = el instanceof SVGElement;
    let fg = parse(inSvg ? style.fill : style.color);
    if (!fg) {
      flag("contrast", el, `cannot read the text colour (${inSvg ? style.fill : style.color})`);
      continue;
    }
    const bg = background(el);
    fg = over(fg, bg);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const needed = large ? 3 : 4.5;
    const got = ratio(fg, bg);
    textsChecked += 1;
    if (got < needed) flag("contrast", el, `contrast ${got.toFixed(2)}:1, needs ${needed}:1`);
  }

  // -- document ----------------------------------------------------------------------------
  if (!document.documentElement.lang) flag("html-lang", document.documentElement, "no lang attribute");
  if (!document.title.trim()) flag("document-title", null, "the page has no title");
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
  const h1s = headings.filter((h) => h.tagName === "H1");
  if (h1s.length !== 1) flag("page-has-one-h1", null, `${h1s.length} h1 elements`);
  let level = 0;
  for (const h of headings) {
    const next = Number(h.tagName[1]);
    if (!h.textContent.trim()) flag("empty-heading", h, "a heading without text");
    if (next > level + 1) flag("heading-order", h, `h${next} after h${level}`);
    level = next;
  }

  // -- tables ------------------------------------------------------------------------------
  for (const table of document.querySelectorAll("table")) {
    const caption = table.querySelector("caption");
    if (!(caption && caption.textContent.trim()) && !table.getAttribute("aria-label") && !table.getAttribute("aria-labelledby")) {
      flag("table-caption", table, "a table without a caption or label");
    }
    const headers = table.querySelectorAll("th");
    if (headers.length === 0) flag("table-headers", table, "a table without header cells");
    for (const th of headers) {
      const scoped = ["col", "row", "colgroup", "rowgroup"].includes(th.getAttribute("scope"));
      if (!scoped && !th.closest("thead")) flag("th-scope", th, "a header cell without scope");
      if (!th.textContent.trim() && !th.getAttribute("aria-label")) flag("empty-table-header", th, "a header cell without text");
    }
    const columns = table.querySelectorAll("thead th").length;
    for (const row of table.querySelectorAll("tbody tr")) {
      if (columns === 0 && !row.querySelector("th[scope=row]")) flag("table-headers", row, "a row with no header");
    }
  }

  // -- images, charts, controls, links ------------------------------------------------------
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) flag("image-alt", img, "an image without alt text");
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.parentElement && svg.parentElement.closest("svg")) continue;
    if (svg.getAttribute("aria-hidden") === "true") continue;
    const title = svg.querySelector(":scope > title");
    const named = svg.getAttribute("aria-label") || svg.getAttribute("aria-labelledby") || (title && title.textContent.trim());
    if (svg.getAttribute("role") !== "img" || !named) flag("svg-img-alt", svg, "a chart without role=img and a name");
  }
  // A chart's text must lie inside the chart: a label cut at the edge cannot be read.
  for (const svg of document.querySelectorAll("svg[role=img]")) {
    const frame = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBoundingClientRect();
      if (box.width === 0) continue;
      const out = Math.max(frame.left - box.left, box.right - frame.right, frame.top - box.top, box.bottom - frame.bottom);
      if (out > 1) flag("chart-text-clipped", text, `${out.toFixed(1)}px outside the chart "${svg.getAttribute("aria-label")}"`);
    }
  }
  for (const control of document.querySelectorAll("input, select, textarea")) {
    if (control.type === "hidden") continue;
    const label = (control.id && document.querySelector(`label[for="${CSS.escape(control.id)}"]`)) || control.closest("label");
    if (!label && !control.getAttribute("aria-label") && !control.getAttribute("aria-labelledby")) flag("label", control, "a form control without a label");
  }
  for (const button of document.querySelectorAll("button")) {
    if (!button.textContent.trim() && !button.getAttribute("aria-label")) flag("button-name", button, "a button without a name");
  }
  for (const link of document.querySelectorAll("a[href]")) {
    if (!link.textContent.trim() && !link.getAttribute("aria-label")) flag("link-name", link, "a link without text");
  }
  for (const details of document.querySelectorAll("details")) {
    const summary = details.querySelector(":scope > summary");
    if (!summary || !summary.textContent.trim()) flag("details-summary", details, "folded content without a summary");
  }

  // -- ids and references ------------------------------------------------------------------
  const ids = new Map();
  for (const el of document.querySelectorAll("[id]")) {
    if (el instanceof SVGElement) continue; // matplotlib's own ids, inside one chart each
    ids.set(el.id, (ids.get(el.id) || 0) + 1);
  }
  for (const [id, count] of ids) if (count > 1) flag("duplicate-id", null, `id "${id}" is used ${count} times`);
  for (const el of document.querySelectorAll("[aria-labelledby]")) {
    for (const ref of el.getAttribute("aria-labelledby").split(/\s+/)) {
      if (!document.getElementById(ref)) flag("aria-reference", el, `aria-labelledby names a missing id "${ref}"`);
    }
  }

  const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
  return {
    violations,
    facts: {
      textsChecked,
      scripts: document.scripts.length,
      headings: headings.map((h) => `${h.tagName.toLowerCase()}: ${h.textContent.trim()}`),
      tables: document.querySelectorAll("table").length,
      charts: document.querySelectorAll("svg[role=img]").length,
      csp: csp ? csp.getAttribute("content") : null,
      text: document.body.innerText,
      height: document.documentElement.scrollHeight,
      width: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    },
  };
})()
