// A bulk change's progress. Sharing many items with many contacts, an organization's access
// or shares, and deleting a folder that holds something answer 202 with a job id: the
// change runs on the server in chunks. followJob polls GET /jobs/{jobId} (every second, for
// at most ten minutes), shows "done of total" in `status` and announces the end.

import { h, delay, announce } from '../ui.js';
import { call } from './state.js';

const POLL_MS = 1000;
const MAX_POLLS = 600;

// Whether an answer is a started job rather than the change itself.
export const isJob = (result) => Boolean(result && typeof result.jobId === 'string');

function describe(job) {
  const total = job.total > 0 ? ` of ${job.total}` : '';
  const failed = job.failed > 0 ? `, ${job.failed} failed` : '';
  return `${job.done}${total} done${failed}`;
}

function finished(job) {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'partially-failed';
}

// Follows the job `accepted` names; `label` says what it does ("Sharing Reports").
// `status` (an element, optional) shows the progress as it goes. Resolves with the final
// job (or the last one seen, should it still run after MAX_POLLS).
export async function followJob(accepted, { label, status } = {}) {
  const path = `/jobs/${encodeURIComponent(accepted.jobId)}`;
  const show = (text) => {
    if (status) status.replaceChildren(h('span', { class: 'job-progress', role: 'status' }, `${label}: ${text}`));
  };
  show('queued');
  let job = { ...accepted, done: 0, total: 0, failed: 0, failures: [] };
  for (let poll = 0; poll < MAX_POLLS; poll += 1) {
    await delay(POLL_MS);
    job = await call(path);
    if (finished(job)) break;
    show(describe(job));
  }
  if (!finished(job)) {
    show(`still running (${describe(job)})`);
    return job;
  }
  const outcome = job.status === 'succeeded' ? 'done' : job.status === 'failed' ? 'failed' : 'partly done';
  const reasons = (job.failures || []).slice(0, 3).map((failure) => failure.reason).join('; ');
  show(`${outcome}: ${describe(job)}${reasons ? ` (${reasons})` : ''}`);
  announce(`${label}: ${outcome}, ${describe(job)}.`);
  return job;
}
