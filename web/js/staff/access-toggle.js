// A contact's portal access, opened and closed: one toggle (toggleAccess) behind both of its
// controls, the switch of the contacts list and the buttons of the access window, so the
// confirmation, the request, the announcement and the error are the same wherever it appears.

import { h, badge, setAlert, setBusy, isBusy, isSilent, problemMessage, announce, confirmDialog } from '../ui.js';
import { call, canWrite } from './state.js';
import { ACCESS_LABELS } from './common.js';

// Pending (invited) and active both count as open: closing either takes access away.
export const isOpen = (status) => status === 'pending' || status === 'active';

export function accessAnnouncement(contact) {
  switch (contact.accessStatus) {
    case 'pending':
      return `Portal access opened for ${contact.name}; the invitation was emailed.`;
    case 'active':
      return `Portal access is active for ${contact.name}.`;
    case 'closed':
      return `Portal access closed for ${contact.name}.`;
    default:
      return `${contact.name} has no portal access.`;
  }
}

// Opens the access (POST; while pending it emails the invitation again) or, once confirmed,
// closes it (DELETE). `control` is busy meanwhile; `onChanged` gets the updated contact and
// re-renders, then `refocus` puts the keyboard on the control that replaced `control`.
async function toggleAccess(contact, open, { control, busyLabel, alert, errorPrefix = '', onChanged, refocus }) {
  if (isBusy(control)) return;
  setAlert(alert, '');
  if (!open && !(await confirmDialog('Close portal access?', `${contact.name} will be signed out of the portal and will no longer see what you shared.`, 'Close access', { danger: true }))) {
    return;
  }
  setBusy(control, true, busyLabel);
  try {
    const updated = await call(`/contacts/${encodeURIComponent(contact.id)}/access`, { method: open ? 'POST' : 'DELETE' });
    onChanged(updated);
    announce(accessAnnouncement(updated));
    refocus();
  } catch (err) {
    if (!isSilent(err)) setAlert(alert, `${errorPrefix}${problemMessage(err)}`);
  } finally {
    setBusy(control, false);
  }
}

// The "Access to portal" cell of the contacts list: a switch (writers) and the status in words
// and colour. The list's alert is shared by every row, so its errors name the contact.
export function accessCell(contact, onChanged, alert) {
  const status = badge(contact.accessStatus, ACCESS_LABELS);
  if (!canWrite()) return h('td', { class: 'access' }, status);
  const on = isOpen(contact.accessStatus);
  const toggle = h(
    'button',
    {
      type: 'button',
      role: 'switch',
      class: 'switch',
      'aria-checked': on ? 'true' : 'false',
      'aria-label': `Access to portal for ${contact.name}`,
      'data-contact': contact.id,
    },
    h('span', { class: 'switch-thumb', 'aria-hidden': 'true' }),
  );
  toggle.addEventListener('click', () =>
    toggleAccess(contact, !on, {
      control: toggle,
      alert,
      errorPrefix: `${contact.name}: `,
      onChanged,
      // The row was replaced: keep the keyboard on the new switch.
      refocus: () => {
        const again = document.querySelector(`button.switch[data-contact="${CSS.escape(contact.id)}"]`);
        if (again) again.focus();
      },
    }),
  );
  return h('td', { class: 'access' }, h('span', { class: 'access-cell' }, toggle, status));
}

// The access window's buttons (writers): open, send the invitation again while pending, close.
export function accessButtons(contact, { onChanged, alert, refocus }) {
  const open = isOpen(contact.accessStatus);
  const button = (label, opening, busyLabel, secondary = false) => {
    const control = h('button', { type: 'button', class: `button ${secondary ? 'button--secondary' : ''}`.trim(), 'data-access': opening ? 'open' : 'close' }, label);
    control.addEventListener('click', () => toggleAccess(contact, opening, { control, busyLabel, alert, onChanged, refocus }));
    return control;
  };
  const buttons = h('div', { class: 'button-row' });
  if (!open) buttons.append(button('Open access', true, 'Opening…'));
  if (contact.accessStatus === 'pending') buttons.append(button('Send the invitation again', true, 'Sending…', true));
  if (open) buttons.append(button('Close access', false, 'Closing…', true));
  return buttons;
}
