// A company's accent colour as CSS custom properties: the one algorithm of the staff dashboard
// and the customer portal, so the same brand colour looks the same on both sides.
//
// Why this algorithm (the portal's former one, kept over the dashboard's): it guarantees WCAG
// contrast ≥ 4.5:1 wherever the accent meets text, whatever colour a company picks. Text on an
// accent fill is white, dark or black, whichever reaches 4.5:1 (black or white always does); the
// accent used as text is darkened until it reads on white *and* on the page background; a
// hovered fill gets its own text colour. The dashboard's checked white only, fell back to
// #111111 (under 4.5:1 on mid-tones such as #777777) and kept that dark text on its darkened
// hover fill.

const WHITE = [255, 255, 255];
const BLACK = [0, 0, 0];
// The darkest text we use on light backgrounds (styles.css --text), as dark as black for contrast.
const DARK_TEXT = [27, 35, 48];
// The page background (styles.css --bg): accent text must also be readable on it.
const PAGE_BG = [244, 246, 249];

export const MIN_TEXT_CONTRAST = 4.5;

// Every property accentProperties sets (and applyAccent removes for no colour).
const PROPERTIES = ['--accent', '--accent-contrast', '--accent-text', '--accent-strong', '--accent-hover', '--accent-hover-contrast', '--accent-soft'];

// '#1d5bd6', '#abc', '1d5bd6' → [r, g, b]; anything else → null.
export function parseHex(value) {
  if (typeof value !== 'string') return null;
  const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!match) return null;
  let hex = match[1];
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

export function toHex(rgb) {
  return `#${rgb.map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, '0')).join('')}`;
}

function channel(c) {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

// Relative luminance and contrast ratio (WCAG 2).
export function luminance([r, g, b]) {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// White or the dark text colour on a background, whichever reads better when it reaches 4.5:1;
// otherwise black or white, whichever is higher (one of them always reaches 4.5:1).
export function textOn(background) {
  const white = contrast(background, WHITE);
  const dark = contrast(background, DARK_TEXT);
  if (white >= dark && white >= MIN_TEXT_CONTRAST) return WHITE;
  if (dark >= MIN_TEXT_CONTRAST) return DARK_TEXT;
  return contrast(background, BLACK) >= white ? BLACK : WHITE;
}

function mix(a, b, t) {
  return a.map((c, i) => c + (b[i] - c) * t);
}

// The colour, darkened just enough to be readable as text on white and on the page background.
export function readableOnLight(color) {
  const ok = (c) => contrast(c, WHITE) >= MIN_TEXT_CONTRAST && contrast(c, PAGE_BG) >= MIN_TEXT_CONTRAST;
  if (ok(color)) return color;
  for (let t = 0.05; t <= 1; t += 0.05) {
    const darker = mix(color, BLACK, t).map(Math.round);
    if (ok(darker)) return darker;
  }
  return BLACK;
}

// The CSS custom properties of an accent colour (or null for an unusable value):
// --accent / --accent-contrast: filled buttons; --accent-strong and --accent-text: the accent as
// text, links, focus rings on light surfaces (two names because styles.css's neutral palette
// gives them two shades; a company colour has one readable variant); --accent-hover /
// --accent-hover-contrast: hovered buttons; --accent-soft: a pale tint for highlighted
// backgrounds (dark text on it).
export function accentProperties(value) {
  const accent = parseHex(value);
  if (!accent) return null;
  const strong = toHex(readableOnLight(accent));
  const hover = luminance(accent) > 0.4 ? mix(accent, BLACK, 0.15).map(Math.round) : mix(accent, BLACK, 0.2).map(Math.round);
  const soft = mix(accent, WHITE, 0.88).map(Math.round);
  return {
    '--accent': toHex(accent),
    '--accent-contrast': toHex(textOn(accent)),
    '--accent-text': strong,
    '--accent-strong': strong,
    '--accent-hover': toHex(hover),
    '--accent-hover-contrast': toHex(textOn(hover)),
    '--accent-soft': toHex(soft),
  };
}

// Sets an accent colour's properties on an element (the page's root, or one company's label);
// without a usable colour, removes them so styles.css's neutral palette shows. Returns whether
// a colour was applied.
export function applyAccent(element, value) {
  const properties = accentProperties(value);
  for (const name of PROPERTIES) {
    if (properties) element.style.setProperty(name, properties[name]);
    else element.style.removeProperty(name);
  }
  return Boolean(properties);
}
