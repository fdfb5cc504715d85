// The Studio's API: every number the page shows comes from here (the engine), never from arithmetic in the browser.

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!response.ok) throw new ApiError(response.status, (body && body.error) || `HTTP ${response.status}`);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { headers: { Accept: 'application/json' } }));
}

export async function post(path, body = {}) {
  return answer(await fetch(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
  }));
}

/** The shared state: the run, its epochs and live points, and who listens. One event stream for the whole page. */
export const store = {
  options: null, run: null, epochs: [], progress: [], listeners: new Set(), error: null, changes: 0,
  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  emit(kind) { for (const fn of this.listeners) { try { fn(kind); } catch (e) { console.warn(e); } } },
  async reload() {
    let run;
    for (;;) {
      // A state or epoch event that arrives while we ask may be newer than the answer: then ask again, or a stale answer
      // (say "running") would stay after the run's last event ("finished").
      const seen = this.changes;
      // Ask whether there is a run first: a 404 would be logged by the browser as an error.
      run = (await get('/api/health')).run === 'none' ? null : await get('/api/runs/current');
      if (this.changes === seen) break;
    }
    this.run = run;
    this.epochs = run ? run.history.epochs : [];
    this.progress = run ? run.history.progress : [];
    this.emit('reload');
  },
  connect() {
    const source = new EventSource('/api/runs/current/events');
    source.addEventListener('state', (e) => {
      this.changes++;
      const run = JSON.parse(e.data);
      if (run.state === 'none') return;
      const fresh = !this.run || this.run.id !== run.id;
      this.run = run;
      if (fresh) this.reload(); else this.emit('state');
    });
    source.addEventListener('epoch', (e) => {
      this.changes++;
      const record = JSON.parse(e.data);
      if (!this.epochs.length || this.epochs[this.epochs.length - 1].epoch < record.epoch) this.epochs.push(record);
      if (this.run && this.run.epoch <= record.epoch) { this.run.epoch = record.epoch + 1; this.run.position = 0; }
      this.emit('epoch');
    });
    source.addEventListener('progress', (e) => {
      const record = JSON.parse(e.data);
      this.progress.push(record);
      if (this.run) {
        this.run.snapshot = Math.max(this.run.snapshot, record.snapshot);
        this.run.epoch = Math.max(this.run.epoch, Math.floor(record.epoch));
        if (Math.floor(record.epoch) === this.run.epoch) this.run.position = record.examples;
      }
      this.emit('progress');
    });
    source.onerror = () => this.emit('disconnected');
    this.source = source;
  },
};

/** Calls fn at most once per `ms`, the last call always honoured; one call in flight at a time. */
export function throttle(fn, ms) {
  let last = 0, timer = null, running = false, again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true; last = Date.now();
    try { await fn(); } catch (e) { console.warn(e); } finally { running = false; }
    if (again) { again = false; schedule(); }
  };
  const schedule = () => {
    if (timer) return;
    const wait = Math.max(0, ms - (Date.now() - last));
    timer = setTimeout(() => { timer = null; run(); }, wait);
  };
  return schedule;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}

export function fmt(x, digits = 4) {
  if (x === null || x === undefined) return '—';
  if (typeof x === 'string') return x;
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(digits - 1) : x.toPrecision(digits);
}

export const percent = (x) => (x === null || x === undefined || Number.isNaN(x)) ? '—' : `${(100 * x).toFixed(1)} %`;

// An epoch's evaluation figures are named after the data they come from (test_correct, or validation_correct), as in
// `nabla train --json`; evaluated_on says which.
export const epochAccuracy = (e) => e[`${e.evaluated_on}_correct`] / e[`${e.evaluated_on}_total`];
export const epochCost = (e) => e[`${e.evaluated_on}_cost`];

/** The side of the run's input images (28 for MNIST-format data); 0 for Playground points, which are not images. */
export const imageSide = () => (store.run.options.data === 'mnist' ? store.options.data.image_side : 0);
