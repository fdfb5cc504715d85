// Nabla Studio: tabs, the shared event stream, and the status line. Each view lives in its own module.
import { get, post, store, percent, throttle, epochAccuracy } from './api.js';
import { trainView } from './views/train.js';
import { networkView } from './views/network.js';
import { backpropView } from './views/backprop.js';
import { demonView } from './views/demon.js';
import { slowdownView } from './views/slowdown.js';
import { resultsView } from './views/results.js';
import { playgroundView } from './views/playground.js';

const views = {
  train: trainView, network: networkView, backprop: backpropView, demon: demonView,
  slowdown: slowdownView, results: resultsView, playground: playgroundView,
};
const started = new Set();

function route() {
  const name = (location.hash.slice(1).split('?')[0]) || 'train';
  const view = views[name] ? name : 'train';
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('active', a.dataset.view === view);
  for (const [n] of Object.entries(views)) document.getElementById(`view-${n}`).classList.toggle('active', n === view);
  const root = document.getElementById(`view-${view}`);
  if (!started.has(view)) { started.add(view); views[view].mount(root); }
  views[view].show?.();
}

function status() {
  const run = store.run, s = document.getElementById('status');
  if (!run) { s.textContent = 'no network yet'; return; }
  const last = store.epochs[store.epochs.length - 1];
  const rate = store.progress.length ? store.progress[store.progress.length - 1].examples_per_second : 0;
  s.textContent = `run ${run.id} · ${run.state}${run.error ? ' (' + run.error + ')' : ''} · epoch ${run.epoch}/${run.options.epochs}` +
    (last ? ` · ${last.line} (${percent(last.evaluation_accuracy ?? epochAccuracy(last))})` : '') +
    (run.state === 'running' && rate ? ` · ${Math.round(rate).toLocaleString('en')} examples/s` : '');
}

async function main() {
  store.options = await get('/api/options');
  const d = store.options.data;
  document.getElementById('data-line').textContent = `Data: ${d.description}` +
    (d.bundled_sample ? ' — the small sample that ships with Nabla.' : '') + ' Playground mode makes its own 2-D points.';
  store.on(throttle(status, 1000)); // the header's line, once a second at most
  store.connect();
  await store.reload();
  // Every view needs a network: with none yet, create the default one, untrained and paused (nothing runs until Start).
  if (!store.run && !location.hash.startsWith('#playground')) {
    await post('/api/runs', { ...store.options.defaults, monitor: ['all'], paused: true });
    await store.reload();
  }
  window.addEventListener('hashchange', route);
  route();
  status();
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  document.getElementById('status').textContent = `error: ${e.message}`;
  console.error(e);
});
