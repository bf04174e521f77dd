// Settings (admins): company name, accent colour, emails on closed access, logo (presigned
// upload), email preview, portal link and website snippet, staff, their roles and password resets.

import { h, setAlert, setBusy, isBusy, isSilent, problemMessage, announce, copyText, confirmDialog, delay, isHttpUrl } from '../ui.js';
import { ApiError, putWithProgress } from '../api.js';
import { app, call, portalLink, logoUrl, emit, on } from './state.js';
import { pagedTable } from './list.js';
import { ROLE_LABELS, bindForm, section } from './common.js';

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const MAX_LOGO_BYTES = 1024 * 1024;

function setTenant(tenant) {
  app.me = { ...app.me, tenant: { ...app.me.tenant, ...tenant } };
  emit('tenant-changed', app.me.tenant);
}

export function renderSettings(view) {
  const card = h('section', { class: 'card', 'aria-labelledby': 'settings-title' }, h('h2', { id: 'settings-title' }, 'Settings'));
  view.append(card);
  const alert = h('p', { class: 'alert', role: 'alert' });
  card.append(alert);
  call('/settings')
    .then((settings) => {
      setTenant(settings);
      card.append(companySection(settings), logoSection(), previewSection(), linkSection(), staffSection());
    })
    .catch((err) => isSilent(err) || setAlert(alert, problemMessage(err)));
}

function companySection(settings) {
  const alert = h('p', { class: 'alert', role: 'alert' });
  const colour = settings.accentColor || '#1d5bd6';
  const picker = h('input', { id: 'settings-accent-picker', type: 'color', value: colour, 'aria-describedby': 'settings-accent-hint' });
  const text = h('input', { id: 'settings-accent', name: 'accentColor', type: 'text', value: settings.accentColor || '', placeholder: '#1d5bd6', maxlength: 7, pattern: '#[0-9A-Fa-f]{6}', 'aria-describedby': 'settings-accent-hint' });
  picker.addEventListener('input', () => {
    text.value = picker.value;
  });
  text.addEventListener('input', () => {
    if (/^#[0-9a-f]{6}$/i.test(text.value.trim())) picker.value = text.value.trim().toLowerCase();
  });
  const form = h(
    'form',
    { id: 'settings-form', class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'settings-name' }, 'Company name'), h('input', { id: 'settings-name', name: 'name', type: 'text', required: true, maxlength: 200, value: settings.name })),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'settings-accent' }, 'Accent colour'),
      h('div', { class: 'copy-row' }, text, h('label', { for: 'settings-accent-picker', class: 'visually-hidden' }, 'Pick the accent colour'), picker),
      h('p', { class: 'hint', id: 'settings-accent-hint' }, 'Used on the dashboard, the portal and emails, as #rrggbb. Leave empty for the neutral default.'),
    ),
    h('div', { class: 'check' }, h('input', { id: 'settings-notify-closed', name: 'notifyAccessClosed', type: 'checkbox', checked: settings.notifyAccessClosed }), h('label', { for: 'settings-notify-closed' }, 'Email customers when their portal access is closed')),
    alert,
    h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button' }, 'Save settings')),
  );
  bindForm(form, alert, async (data) => {
    const accent = String(data.get('accentColor') || '').trim();
    const body = { name: String(data.get('name')).trim(), accentColor: accent || null, notifyAccessClosed: data.get('notifyAccessClosed') === 'on' };
    const saved = await call('/settings', { method: 'PATCH', body });
    setTenant(saved);
    announce('Settings saved.');
  });
  return section('Company', form);
}

function logoSection() {
  const alert = h('p', { class: 'alert', role: 'alert' });
  const preview = h('div', { class: 'logo-preview' });
  const progress = h('progress', { max: '100', value: '0', hidden: true, 'aria-label': 'Logo upload' });
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const input = h('input', { id: 'settings-logo', type: 'file', accept: LOGO_TYPES.join(','), 'aria-describedby': 'settings-logo-hint' });
  const remove = h('button', { type: 'button', class: 'button button--secondary button--danger-outline' }, 'Remove logo');

  function render() {
    const url = logoUrl();
    preview.replaceChildren(url ? h('img', { src: url, alt: `${app.me.tenant.name} logo`, class: 'logo-image' }) : h('p', { class: 'muted' }, 'No logo yet.'));
    remove.hidden = !url;
  }
  render();

  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    setAlert(alert, '');
    if (!file) return;
    if (!LOGO_TYPES.includes(file.type)) return setAlert(alert, 'The logo must be a PNG, JPEG or WebP image.');
    if (file.size < 1 || file.size > MAX_LOGO_BYTES) return setAlert(alert, 'The logo must be at most 1 MB.');
    progress.hidden = false;
    progress.value = 0;
    status.textContent = 'Uploading the logo…';
    try {
      const ticket = await call('/settings/logo', { method: 'POST', body: { contentType: file.type, size: file.size } });
      if (!ticket || !ticket.upload || !isHttpUrl(ticket.upload.url)) throw new ApiError(0, { detail: 'The server returned an incomplete upload ticket.' });
      await putWithProgress(ticket.upload, file, file.type, (f) => {
        progress.value = Math.round(f * 100);
      }, app.controller.signal);
      status.textContent = 'Uploaded, checking the image…';
      for (let i = 0; i < 30; i += 1) {
        await delay(1000, app.controller.signal);
        const settings = await call('/settings');
        if (settings.logo && settings.logo.id === ticket.logo.id) {
          setTenant(settings);
          render();
          status.textContent = 'Logo updated.';
          announce('Logo updated.');
          return;
        }
      }
      status.textContent = 'The logo is still being checked; reload in a moment.';
    } catch (err) {
      status.textContent = '';
      if (!isSilent(err)) setAlert(alert, problemMessage(err));
    } finally {
      progress.hidden = true;
    }
  });
  remove.addEventListener('click', async () => {
    if (!(await confirmDialog('Remove the logo?', 'Emails and the portal will show the company name only.', 'Remove', { danger: true }))) return;
    try {
      await call('/settings/logo', { method: 'DELETE' });
      setTenant({ logo: undefined });
      render();
      announce('Logo removed.');
      input.focus();
    } catch (err) {
      if (!isSilent(err)) setAlert(alert, problemMessage(err));
    }
  });
  return section(
    'Logo',
    preview,
    h('div', { class: 'field' }, h('label', { for: 'settings-logo' }, 'Upload a new logo'), input, h('p', { class: 'hint', id: 'settings-logo-hint' }, 'PNG, JPEG or WebP, at most 1 MB. Shown in the header, on the portal and in every email.')),
    progress,
    status,
    alert,
    h('div', { class: 'button-row' }, remove),
  );
}

// What the top of every email looks like (logo, name, accent colour).
function previewSection() {
  const box = h('div', { class: 'email-preview', 'aria-label': 'Email preview' });
  const render = () => {
    const tenant = app.me.tenant;
    const url = logoUrl(tenant);
    box.style.setProperty('--preview-accent', tenant.accentColor || '#1d5bd6');
    box.replaceChildren(
      h('div', { class: 'email-preview-head' }, url ? h('img', { src: url, alt: '', class: 'logo-image logo-image--small' }) : '', h('strong', {}, tenant.name)),
      h('div', { class: 'email-preview-body' }, h('p', {}, 'Hello Jane,'), h('p', {}, `${tenant.name} has shared new documents with you.`), h('span', { class: 'email-preview-button' }, 'Open the portal')),
    );
  };
  render();
  on('tenant-changed', () => box.isConnected && render());
  return section('Email preview', box);
}

function linkSection() {
  const link = portalLink();
  const tenant = app.me.tenant;
  const snippet = `<a href="${link}" target="_blank" rel="noopener">${escapeHtml(tenant.name)} customer portal</a>`;
  const linkInput = h('input', { id: 'settings-portal-link', type: 'text', readonly: true, value: link });
  const code = h('textarea', { id: 'settings-snippet', readonly: true, rows: 3 }, snippet);
  const copyLink = h('button', { type: 'button', class: 'button button--secondary' }, 'Copy link');
  const copySnippet = h('button', { type: 'button', class: 'button button--secondary', id: 'copy-snippet' }, 'Copy HTML snippet');
  copyLink.addEventListener('click', async () => announce((await copyText(link, linkInput)) ? 'Portal link copied.' : 'Press Ctrl+C to copy the selected link.'));
  copySnippet.addEventListener('click', async () => announce((await copyText(snippet, code)) ? 'Snippet copied.' : 'Press Ctrl+C to copy the selected snippet.'));
  return section(
    'Portal link for your website',
    h('div', { class: 'field' }, h('label', { for: 'settings-portal-link' }, 'Portal link'), h('div', { class: 'copy-row' }, linkInput, copyLink)),
    h('div', { class: 'field' }, h('label', { for: 'settings-snippet' }, 'HTML snippet'), code, h('div', { class: 'button-row' }, copySnippet)),
    h('p', { class: 'hint' }, 'The link never changes: put it on your website so customers find their portal.'),
  );
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function staffSection() {
  const alert = h('p', { class: 'alert', role: 'alert' });
  const notice = h('p', { class: 'notice', role: 'status' });
  const table = pagedTable({
    id: 'staff-table',
    caption: 'Staff',
    noun: 'staff members',
    path: '/staff',
    columns: [{ label: 'Email' }, { label: 'Role' }, { label: 'Actions', hidden: true }],
    row: (member) => {
      const self = member.sub === app.me.sub;
      const select = h(
        'select',
        { 'aria-label': `Role of ${member.email}`, 'data-staff': member.sub },
        Object.entries(ROLE_LABELS).map(([value, label]) => h('option', { value, selected: value === member.role }, label)),
      );
      select.addEventListener('change', async () => {
        setAlert(alert, '');
        try {
          const updated = await call(`/staff/${encodeURIComponent(member.sub)}`, { method: 'PATCH', body: { role: select.value } });
          table.upsert({ ...updated, id: updated.sub });
          announce(`${updated.email} is now ${ROLE_LABELS[updated.role] || updated.role}.`);
          const again = document.querySelector(`select[data-staff="${CSS.escape(member.sub)}"]`);
          if (again) again.focus();
        } catch (err) {
          select.value = member.role;
          if (!isSilent(err)) setAlert(alert, `${member.email}: ${problemMessage(err)}`);
        }
      });
      const actions = h('td', { class: 'actions' });
      if (!self) {
        const remove = h('button', { type: 'button', class: 'button button--small button--danger-outline', 'aria-label': `Remove ${member.email}` }, 'Remove');
        remove.addEventListener('click', async () => {
          if (isBusy(remove)) return;
          if (!(await confirmDialog('Remove staff member?', `${member.email} loses access to the dashboard and their account is deleted.`, 'Remove', { danger: true }))) return;
          setBusy(remove, true);
          try {
            await call(`/staff/${encodeURIComponent(member.sub)}`, { method: 'DELETE' });
            table.remove(member.sub);
            announce(`${member.email} removed.`);
          } catch (err) {
            if (!isSilent(err)) setAlert(alert, `${member.email}: ${problemMessage(err)}`);
            setBusy(remove, false);
          }
        });
        // Cognito emails them a code; they enter it under "Forgot password?" on the sign-in page.
        const reset = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-label': `Send ${member.email} a password reset` }, 'Send password reset');
        reset.addEventListener('click', async () => {
          if (isBusy(reset)) return;
          const message = `${member.email} is signed out everywhere and gets an email with a code to choose a new password. Their current password stops working.`;
          if (!(await confirmDialog('Send a password reset?', message, 'Send reset'))) return;
          setAlert(alert, '');
          notice.textContent = '';
          setBusy(reset, true, 'Sending…');
          try {
            await call(`/staff/${encodeURIComponent(member.sub)}/password-reset`, { method: 'POST' });
            announce(`Password reset sent to ${member.email}.`);
            notice.textContent = `Password reset sent to ${member.email}: they enter the emailed code under "Forgot password?" when they sign in.`;
          } catch (err) {
            if (!isSilent(err)) setAlert(alert, `${member.email}: ${problemMessage(err)}`);
          } finally {
            setBusy(reset, false);
          }
        });
        actions.append(reset, ' ', remove);
      }
      const name = member.name ? h('span', { class: 'muted' }, ` · ${member.name}`) : '';
      return [h('th', { scope: 'row', class: 'email' }, member.email, name, self ? h('span', { class: 'muted' }, ' (you)') : ''), h('td', {}, select), actions];
    },
  });
  // Staff members are keyed by `sub`.
  const upsert = table.upsert;
  table.upsert = (member, position) => upsert({ ...member, id: member.sub }, position);

  const formAlert = h('p', { class: 'alert', role: 'alert' });
  const form = h(
    'form',
    { id: 'staff-form', class: 'form form--grid', novalidate: true },
    h('h4', {}, 'Invite a staff member'),
    h('div', { class: 'field' }, h('label', { for: 'staff-email' }, 'Email'), h('input', { id: 'staff-email', name: 'email', type: 'email', required: true, maxlength: 254, autocomplete: 'off' })),
    h('div', { class: 'field' }, h('label', { for: 'staff-name' }, 'Name (shown to customers)'), h('input', { id: 'staff-name', name: 'name', type: 'text', maxlength: 200, autocomplete: 'off' })),
    h('div', { class: 'field' }, h('label', { for: 'staff-role' }, 'Role'), h('select', { id: 'staff-role', name: 'role' }, Object.entries(ROLE_LABELS).map(([value, label]) => h('option', { value, selected: value === 'member' }, label)))),
    h('button', { type: 'submit', class: 'button' }, 'Invite'),
    formAlert,
  );
  bindForm(
    form,
    formAlert,
    async (data) => {
      const body = { email: String(data.get('email')).trim(), role: data.get('role') };
      // Customers see this name on what the member shares (never the email); optional.
      const name = String(data.get('name') || '').trim();
      if (name) body.name = name;
      const member = await call('/staff', { method: 'POST', body });
      table.upsert(member, 'append');
      form.reset();
      announce(`${member.email} invited: they get a temporary password by email.`);
    },
    'Inviting…',
  );
  loadStaff(table);
  return section('Staff', h('p', { class: 'hint' }, 'Admin: everything, including settings and staff. Member: contacts, access, sharing and documents. Viewer: read-only.'), form, alert, notice, table.element);
}

// The staff list comes keyed by `sub`: load the pages through the table with ids added.
async function loadStaff(table) {
  let cursor = '';
  try {
    do {
      const params = new URLSearchParams({ limit: '100' });
      if (cursor) params.set('cursor', cursor);
      const page = await call(`/staff?${params}`);
      for (const member of page.items || []) table.upsert(member);
      cursor = page.nextCursor || '';
    } while (cursor);
  } catch (err) {
    if (!isSilent(err)) setAlert(table.error, problemMessage(err));
  }
}
