// Colour arithmetic for tenant accent colours: whatever colour a company picks, the text the
// portal draws on it, and the accent it uses as text on white, keep a WCAG contrast ≥ 4.5:1.

const WHITE = [255, 255, 255];
const BLACK = [0, 0, 0];
// The darkest text we use on light backgrounds (styles.css --text), as dark as black for contrast.
const DARK_TEXT = [27, 35, 48];
// The page background (styles.css --bg): accent text must also be readable on it.
const PAGE_BG = [244, 246, 249];

export const MIN_TEXT_CONTRAST = 4.5;

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

export function luminance([r, g, b]) {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// Black-ish or white text on a background, whichever reads better (one of them always reaches 4.5:1).
export function textOn(background) {
  return contrast(background, WHITE) >= contrast(background, DARK_TEXT)
    ? WHITE
    : contrast(background, DARK_TEXT) >= MIN_TEXT_CONTRAST
      ? DARK_TEXT
      : BLACK;
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
// --accent / --accent-contrast: filled buttons; --accent-strong: accent as text, links, focus
// rings on light surfaces; --accent-hover / --accent-hover-contrast: hovered buttons;
// --accent-soft: a pale tint for highlighted backgrounds (dark text on it).
export function accentProperties(value) {
  const accent = parseHex(value);
  if (!accent) return null;
  const strong = readableOnLight(accent);
  const hover = luminance(accent) > 0.4 ? mix(accent, BLACK, 0.15).map(Math.round) : mix(accent, BLACK, 0.2).map(Math.round);
  const soft = mix(accent, WHITE, 0.88).map(Math.round);
  return {
    '--accent': toHex(accent),
    '--accent-contrast': toHex(textOn(accent)),
    '--accent-strong': toHex(strong),
    '--accent-hover': toHex(hover),
    '--accent-hover-contrast': toHex(textOn(hover)),
    '--accent-soft': toHex(soft),
  };
}
