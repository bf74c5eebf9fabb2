"""A browser-side check that no text box overflows its container (used by the layout browser
test and by every citizen page of the journey).

Every visible element with text of its own must not scroll sideways (its scrollWidth within its
clientWidth) and its box must stay inside its nearest block parent's box; the document must not
scroll sideways either. Only the page width would miss a value running under the next card.
Content inside a deliberately scrolling region (a wide table in its `overflow-x: auto` wrapper)
is allowed to be wider than the region."""

_OVERFLOW_CHECK = """
() => {
  const scrolls = (el) => /(auto|scroll)/.test(getComputedStyle(el).overflowX);
  const insideScroller = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a)) return true;
    }
    return false;
  };
  const blockParent = (el) => {
    let p = el.parentElement;
    while (p && getComputedStyle(p).display === 'inline') p = p.parentElement;
    return p;
  };
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
    `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}` +
    ` "${el.textContent.trim().slice(0, 60)}"`;
  const problems = [];
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden, .skip-link, script, style, option')) continue;
    const ownText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!ownText) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (insideScroller(el)) continue;  // a table in its scrolling wrapper may be wider
    if (style.display !== 'inline' && !scrolls(el) && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)} overflows its own box (${el.scrollWidth} > ${el.clientWidth})`);
      continue;
    }
    const parent = blockParent(el);
    if (!parent || parent === document.documentElement) continue;
    const outer = parent.getBoundingClientRect();
    if (box.right > outer.right + 1 || box.left < outer.left - 1) {
      problems.push(`${describe(el)} runs out of ${describe(parent).slice(0, 40)}` +
        ` (${Math.round(box.left)}–${Math.round(box.right)} outside ` +
        `${Math.round(outer.left)}–${Math.round(outer.right)})`);
    }
  }
  return problems;
}
"""


def overflowing_text(page) -> list[str]:
    """What overflows on `page` as it is now, one line per element (empty when all fits)."""
    return page.evaluate(_OVERFLOW_CHECK)
