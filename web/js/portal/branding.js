// The company's look on /p/{slug}: name, logo and accent colour from the public branding route.
// /portal (no company) keeps the neutral look of styles.css.

import { ApiError, apiBase, publicCall } from '../api.js';
import { h } from '../ui.js';
import { applyAccent, parseHex } from '../accent.js';
import { app, byId, str } from './context.js';

const NEUTRAL_NAME = 'Customer Portal';

// The logo's address: logoPath is relative to the API (`/branding/{slug}/logo?v=…`).
export function logoUrl(logoPath) {
  return typeof logoPath === 'string' && logoPath.startsWith('/') && !logoPath.startsWith('//') ? apiBase() + logoPath : null;
}

// Loads /branding/{slug}; an unknown link keeps the neutral look (sign-in still works).
// `suspended`: the operator paused this company (a 403 company-suspended problem).
export async function loadBranding(slug) {
  if (!slug) return { branding: null, suspended: false };
  try {
    const branding = await publicCall(`/branding/${encodeURIComponent(slug)}`, undefined, { method: 'GET' });
    return { branding: branding && typeof branding.name === 'string' ? branding : null, suspended: false };
  } catch (error) {
    const type = error instanceof ApiError && error.problem ? String(error.problem.type || '') : '';
    return { branding: null, suspended: type.endsWith('/company-suspended') };
  }
}

export function applyBranding(branding) {
  const name = branding ? str(branding.name) : NEUTRAL_NAME;
  const root = document.documentElement;
  const logo = byId('brand-logo');
  const link = byId('brand-link');
  byId('brand-name').textContent = name;
  link.setAttribute('href', branding ? `/p/${encodeURIComponent(str(branding.slug) || app.slug)}` : '/portal');
  const src = branding ? logoUrl(branding.logoPath) : null;
  if (src) {
    logo.alt = '';
    logo.addEventListener('error', () => {
      logo.hidden = true;
    }, { once: true });
    logo.src = src;
    logo.hidden = false;
  } else {
    logo.hidden = true;
    logo.removeAttribute('src');
  }
  document.body.classList.toggle('portal--branded', Boolean(branding));
  if (branding && applyAccent(root, branding.accentColor)) {
    const meta = document.querySelector('meta[name="theme-color"]') || document.head.appendChild(h('meta', { name: 'theme-color' }));
    meta.setAttribute('content', parseHex(branding.accentColor) ? branding.accentColor : '#ffffff');
  }
  byId('footer-text').textContent = branding ? `${name} · customer portal` : NEUTRAL_NAME;
}

// The small company label on one listed item: its logo (when it has one) and name, with the
// company's accent as a coloured edge (decoration only; the name says which company).
export function companyLabel(company) {
  const name = str(company && company.name) || 'Unknown company';
  const label = h('span', { class: 'company-label' });
  const src = company ? logoUrl(company.logoPath) : null;
  if (src) {
    const img = h('img', { class: 'company-label__logo', src, alt: '', width: '20', height: '20', loading: 'lazy' });
    img.addEventListener('error', () => img.remove(), { once: true });
    label.append(img);
  }
  label.append(h('span', { class: 'company-label__name' }, name));
  if (company) applyAccent(label, company.accentColor);
  return label;
}

export function pageTitle(view) {
  const name = app.branding ? str(app.branding.name) : NEUTRAL_NAME;
  document.title = view ? `${view} · ${name}` : name;
}
