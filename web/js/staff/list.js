// A paged table: caption, header, rows keyed by id, "Load more" (the server's cursor: never
// every page at once), empty and error messages.

import { h, setAlert, setBusy, isBusy, isSilent, problemMessage, announce } from '../ui.js';
import { call, PAGE_SIZE } from './state.js';

// columns: [{ label, hidden? }] ; row(item) returns the cells (the first is a row header).
export function pagedTable({ id, caption, columns, path, row, empty = 'Nothing yet.', filter, noun = 'items', limit = PAGE_SIZE }) {
  const body = h('tbody');
  const table = h(
    'table',
    { id },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.hidden ? h('span', { class: 'visually-hidden' }, c.label) : c.label)))),
    body,
  );
  const wrap = h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' }, table);
  const emptyNote = h('p', { class: 'empty', hidden: true }, empty);
  const error = h('p', { class: 'alert', role: 'alert' });
  const more = h('button', { type: 'button', class: 'button button--secondary load-more', hidden: true }, 'Load more');
  const element = h('div', { class: 'paged' }, wrap, emptyNote, error, more);

  const state = { path, cursor: null, loading: false, items: new Map(), rows: new Map(), generation: 0 };

  function render(item) {
    const cells = row(item);
    const tr = h('tr', { 'data-id': item.id }, cells);
    const existing = state.rows.get(item.id);
    if (existing && existing.isConnected) existing.replaceWith(tr);
    return tr;
  }

  function applyFilter() {
    let visible = 0;
    for (const [itemId, tr] of state.rows) {
      const show = !filter || filter(state.items.get(itemId));
      tr.hidden = !show;
      if (show) visible += 1;
    }
    emptyNote.hidden = visible > 0 || Boolean(error.textContent) || state.loading;
    return visible;
  }

  function upsert(item, position = 'append') {
    if (!item || typeof item.id !== 'string') return;
    const had = state.rows.get(item.id);
    const inPlace = Boolean(had && had.isConnected);
    state.items.set(item.id, item);
    const tr = render(item);
    if (!inPlace) {
      if (position === 'prepend') body.prepend(tr);
      else body.append(tr);
    }
    state.rows.set(item.id, tr);
    applyFilter();
  }

  function remove(itemId) {
    const tr = state.rows.get(itemId);
    if (tr) tr.remove();
    state.rows.delete(itemId);
    state.items.delete(itemId);
    applyFilter();
  }

  async function load() {
    if (state.loading) return;
    const generation = state.generation;
    const first = state.cursor === null;
    state.loading = true;
    table.setAttribute('aria-busy', 'true');
    setBusy(more, true, 'Loading…');
    setAlert(error, '');
    const params = new URLSearchParams({ limit: String(limit) });
    if (state.cursor) params.set('cursor', state.cursor);
    const sep = state.path.includes('?') ? '&' : '?';
    let count = 0;
    try {
      const page = await call(`${state.path}${sep}${params}`);
      if (generation !== state.generation) return;
      const items = page && Array.isArray(page.items) ? page.items : [];
      count = items.length;
      for (const item of items) upsert(item);
      state.cursor = page && typeof page.nextCursor === 'string' && page.nextCursor ? page.nextCursor : '';
      if (!first) announce(`${count} more ${noun} loaded.`);
    } catch (err) {
      if (generation !== state.generation) return;
      if (!isSilent(err)) setAlert(error, problemMessage(err));
    } finally {
      if (generation === state.generation) {
        const hadFocus = document.activeElement === more;
        state.loading = false;
        table.removeAttribute('aria-busy');
        setBusy(more, false);
        more.hidden = !state.cursor;
        applyFilter();
        if (hadFocus && more.hidden) wrap.focus();
      }
    }
  }

  function reload(newPath = state.path) {
    state.generation += 1;
    state.path = newPath;
    state.cursor = null;
    state.loading = false;
    state.items.clear();
    state.rows.clear();
    body.replaceChildren();
    more.hidden = true;
    emptyNote.hidden = true;
    return load();
  }

  more.addEventListener('click', () => isBusy(more) || load());

  return {
    element,
    table,
    error,
    items: state.items,
    upsert,
    remove,
    load,
    reload,
    // The message shown when nothing is listed (e.g. a search's).
    setEmpty: (text) => {
      emptyNote.textContent = text;
    },
    path: () => state.path,
    applyFilter,
    hasMore: () => state.cursor !== '',
    refreshRow: (itemId) => state.items.has(itemId) && upsert(state.items.get(itemId)),
  };
}
