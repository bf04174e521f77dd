// The company's organizations, loaded once per view and read by the contacts list, the access
// window and the drive's share dialog (a module of its own so none of those imports another).

import { h } from '../ui.js';
import { allPages } from './state.js';

export const organizations = new Map();

export async function loadOrganizations() {
  const items = await allPages('/organizations');
  organizations.clear();
  for (const org of items) organizations.set(org.id, org);
  return items;
}

export function organizationOptions(selected, noneLabel = 'No organization') {
  return [
    h('option', { value: '' }, noneLabel),
    ...[...organizations.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((org) => h('option', { value: org.id, selected: org.id === selected }, org.name)),
  ];
}
