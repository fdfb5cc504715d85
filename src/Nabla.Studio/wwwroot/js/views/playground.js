// Playground mode: 2-D data sets, input features, up to 6 hidden layers, the decision boundary and every neuron's map.
// The whole configuration lives in the URL (#playground?data=spiral&...), so a link reproduces a setup (seeded).
import { el, post, store, throttle, percent, fmt, epochAccuracy, epochCost } from '../api.js';
import { svg, diverging, rgb, maxAbs, lineChart, legend } from '../draw.js';

const Defaults = {
  data: 'spiral', noise: '0', ratio: '50', points: '500', features: 'x1,x2,sin(x1),sin(x2)', hidden: '8,8', activation: 'tanh',
  eta: '0.01', batch: '10', epochs: '300', optimizer: 'adam', seed: '1',
};
const FeatureNames = ['x1', 'x2', 'x1^2', 'x2^2', 'x1x2', 'sin(x1)', 'sin(x2)'];
const Pretty = { 'x1^2': 'x1²', 'x2^2': 'x2²', 'x1x2': 'x1·x2' };

function fromUrl() {
  const query = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  return { ...Defaults, ...Object.fromEntries(new URLSearchParams(query)) };
}

function toUrl(config) {
  const query = new URLSearchParams(config).toString().replaceAll('%2C', ',').replaceAll('%28', '(').replaceAll('%29', ')').replaceAll('%5E', '^');
  history.replaceState(null, '', `#playground?${query}`);
}

export const playgroundView = {
  mount(root) {
    this.root = root;
    const c = fromUrl();
    const field = (name, label, input) => { input.name = name; input.dataset.testid = `pg-${name}`; return el('label', {}, label, input); };
    const select = (values) => el('select', {}, ...values.map((v) => el('option', { value: v, text: v })));
    this.form = el('form', { class: 'options card', 'data-testid': 'pg-form' },
      el('fieldset', {}, el('legend', { text: 'Data' }),
        field('data', 'data set', select(['circle', 'xor', 'gauss', 'spiral'])),
        field('noise', 'noise (%)', el('input', { type: 'range', min: 0, max: 50, step: 5 })),
        field('ratio', 'training share (%)', el('input', { type: 'range', min: 10, max: 90, step: 10 })),
        field('points', 'points', el('input', { type: 'number', min: 20, max: 5000 }))),
      el('fieldset', { 'data-testid': 'pg-features' }, el('legend', { text: 'Input features' }),
        ...FeatureNames.map((f) => el('label', {}, Pretty[f] || f, el('input', { type: 'checkbox', value: f, 'data-feature': f })))),
      el('fieldset', {}, el('legend', { text: 'Network and learning' }),
        field('hidden', 'hidden layers', el('input', { type: 'text', placeholder: 'neurons per hidden layer, e.g. 8,8 (up to 6 layers)' })),
        field('activation', 'activation σ', select(['tanh', 'relu', 'sigmoid', 'softplus'])),
        field('optimizer', 'optimiser', select(['sgd', 'momentum', 'adam'])),
        field('eta', 'η', el('input', { type: 'number', step: 'any' })),
        field('batch', 'm', el('input', { type: 'number', min: 1 })),
        field('epochs', 'epochs', el('input', { type: 'number', min: 1 })),
        field('seed', 'seed', el('input', { type: 'number' }))));
    this.setForm(c);
    this.form.addEventListener('change', () => toUrl(this.readForm()));
    // Sliders say their value.
    for (const name of ['noise', 'ratio']) {
      const input = this.form.elements[name], out = el('span', { class: 'mono small', text: input.value });
      input.addEventListener('input', () => { out.textContent = input.value; });
      input.parentElement.append(out);
      this[`${name}Text`] = out;
    }
    this.message = el('div', { class: 'error small' });
    const train = el('button', { type: 'button', class: 'primary', 'data-testid': 'pg-train', onclick: () => this.train() }, 'Train');
    const stop = el('button', { type: 'button', 'data-testid': 'pg-stop', onclick: () => post('/api/runs/current/stop').catch(() => {}) }, 'Stop');
    this.accuracy = el('span', { class: 'big', 'data-testid': 'playground-accuracy', text: '—' });
    this.testAccuracy = el('span', { class: 'big', 'data-testid': 'playground-test-accuracy', text: '—' });
    this.epochText = el('span', { class: 'mono', 'data-testid': 'playground-epoch', text: '' });
    this.boundary = el('div', { 'data-testid': 'pg-boundary' });
    this.net = el('div', { 'data-testid': 'pg-network' });
    this.curve = el('div', {});
    root.append(el('p', { class: 'lead' },
      'TensorFlow Playground\'s toy problems, trained by the same engine as the real data: the output layer has one neuron per class (softmax, log-likelihood cost). ',
      'The large map is the decision a¹ᴸ − a⁰ᴸ over the plane (blue: class 1, orange: class 0); the small maps are every neuron\'s output over the plane. Points: dark blue class 1, dark orange class 0; training points ringed white, test points ringed black. ',
      'The URL holds the whole setup: copy it to share or reproduce this run exactly.'),
      el('div', { class: 'pg-grid' },
        el('div', {}, this.form, el('div', { class: 'buttons' }, train, stop), this.message),
        el('div', { class: 'card' }, el('h3', { text: 'Every neuron over the plane (weights as lines: blue +, orange −)' }), this.net),
        el('div', { class: 'card' },
          el('div', { class: 'figures' }, el('div', {}, el('span', { text: 'training accuracy' }), this.accuracy),
            el('div', {}, el('span', { text: 'test accuracy' }), this.testAccuracy)), this.epochText, this.boundary,
          legend([{ name: 'training cost', colour: '#2e8b57' }, { name: 'test cost', colour: '#6a3fb5' }]), this.curve)));
    this.refreshSoon = throttle(() => this.refresh(), 250);
    store.on(() => { if (root.classList.contains('active') && store.run?.options.data !== 'mnist') this.refreshSoon(); });
    this.refresh();
  },
  show() {
    const c = fromUrl();
    if (location.hash.includes('?')) this.setForm(c); else toUrl(this.readForm());
    this.refreshSoon?.();
  },

  setForm(c) {
    for (const input of this.form.elements) {
      if (input.dataset.feature) input.checked = c.features.split(',').includes(input.dataset.feature);
      else if (input.name && c[input.name] !== undefined) input.value = c[input.name];
    }
    if (this.noiseText) { this.noiseText.textContent = this.form.elements.noise.value; this.ratioText.textContent = this.form.elements.ratio.value; }
  },

  readForm() {
    const c = {};
    for (const input of this.form.elements) if (input.name) c[input.name] = input.value;
    c.features = [...this.form.querySelectorAll('[data-feature]')].filter((i) => i.checked).map((i) => i.dataset.feature).join(',');
    return c;
  },

  async train() {
    const c = this.readForm();
    toUrl(c);
    this.message.textContent = '';
    const features = c.features.split(',').filter(Boolean);
    const hidden = c.hidden.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    try {
      if (store.run?.state === 'running') await post('/api/runs/current/stop');
      await post('/api/runs', {
        data: c.data, noise: Number(c.noise), ratio: Number(c.ratio), points: Number(c.points), features,
        layers: [features.length, ...hidden, 2], activation: [...hidden.map(() => c.activation), 'softmax'], cost: 'log-likelihood',
        init: 'scaled-normal', optimizer: c.optimizer, eta: Number(c.eta), batch: Number(c.batch), epochs: Number(c.epochs), seed: Number(c.seed), monitor: ['all'],
      });
      await store.reload();
    } catch (e) { this.message.textContent = e.message; }
  },

  async refresh() {
    const run = store.run;
    if (!run || run.options.data === 'mnist') {
      this.epochText.textContent = 'Press Train to start a Playground run.';
      return;
    }
    let m;
    try { m = await post('/api/playground/map', { resolution: 50 }); } catch (e) { this.message.textContent = e.message; return; }
    const epochs = store.epochs, last = epochs[epochs.length - 1];
    this.accuracy.textContent = last && last.training_accuracy !== null ? percent(last.training_accuracy) : '—';
    this.testAccuracy.textContent = last ? percent(epochAccuracy(last)) : '—';
    this.epochText.textContent = `${run.state}: epoch ${run.epoch} of ${run.options.epochs}` + (last ? `, training cost ${fmt(last.training_cost)}, test cost ${fmt(epochCost(last))}` : '');
    this.root.dataset.epoch = String(run.epoch);
    this.root.dataset.run = String(run.id);
    this.root.dataset.state = run.state;
    this.boundary.replaceChildren(this.drawBoundary(m, 300));
    this.net.replaceChildren(this.drawNetwork(m));
    this.curve.replaceChildren(lineChart([
      { name: 'train', colour: '#2e8b57', points: epochs.map((e) => [e.epoch + 1, e.training_cost]) },
      { name: 'test', colour: '#6a3fb5', points: epochs.map((e) => [e.epoch + 1, epochCost(e)]) },
    ], { width: 330, height: 150, xLabel: 'epoch', yLabel: 'cost', xMin: 0 }));
  },

  /** The decision over the plane as a heat map, with the data points on top. */
  drawBoundary(m, size) {
    const c = document.createElement('canvas');
    c.width = c.height = size;
    c.style.border = '1px solid #ccd';
    const ctx = c.getContext('2d');
    const cell = size / m.resolution;
    for (let i = 0; i < m.decision.length; i++) {
      ctx.fillStyle = rgb(diverging(m.decision[i] * 0.6, 1)); // pale, so that the points stand out
      ctx.fillRect((i % m.resolution) * cell, Math.floor(i / m.resolution) * cell, cell + 0.5, cell + 0.5);
    }
    const X = (x) => ((x + m.extent) / (2 * m.extent)) * size, Y = (y) => ((m.extent - y) / (2 * m.extent)) * size;
    for (const p of m.points) {
      ctx.beginPath();
      ctx.arc(X(p.x1), Y(p.x2), 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = p.label === 1 ? '#0b4f9c' : '#b85c00';
      ctx.strokeStyle = p.training ? '#fff' : '#000';
      ctx.lineWidth = p.training ? 1 : 1.6;
      ctx.fill();
      ctx.stroke();
    }
    return c;
  },

  /** Columns of small maps, one per neuron, joined by weight lines. */
  drawNetwork(m) {
    const sizes = m.sizes, L = sizes.length - 1, node = 34, gapY = 8, colW = 90;
    const maxN = Math.max(...sizes);
    const width = colW * (L + 1) + 60, height = maxN * (node + gapY) + 30;
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}` });
    const pos = (l, j) => [60 + l * colW, 24 + ((maxN - sizes[l]) * (node + gapY)) / 2 + j * (node + gapY)];
    for (let l = 1; l <= L; l++) {
      const w = m.weights[l - 1], s = maxAbs(w.flat()) || 1;
      for (let j = 0; j < sizes[l]; j++) for (let k = 0; k < sizes[l - 1]; k++) {
        const [x1, y1] = pos(l - 1, k), [x2, y2] = pos(l, j);
        const line = svg('line', { x1: x1 + node, y1: y1 + node / 2, x2, y2: y2 + node / 2, stroke: w[j][k] >= 0 ? '#2f6fb7' : '#e0852b', 'stroke-width': (0.3 + 3.5 * Math.abs(w[j][k]) / s).toFixed(2), opacity: 0.6 });
        line.append(svg('title', {}, `w${l}[${j},${k}] = ${w[j][k]}`));
        root.append(line);
      }
    }
    for (let l = 0; l <= L; l++) {
      root.append(svg('text', { x: 60 + l * colW + node / 2, y: 12, 'text-anchor': 'middle' }, l === 0 ? 'features' : l === L ? 'output: class 0, 1' : `layer ${l}`));
      for (let j = 0; j < sizes[l]; j++) {
        const [x, y] = pos(l, j);
        const values = m.maps[l][j];
        const signed = values.some((v) => v < 0);
        const s = signed ? maxAbs(values) || 1 : 1;
        const c = document.createElement('canvas');
        c.width = c.height = m.resolution;
        c.className = 'pixels';
        c.style.width = c.style.height = `${node}px`;
        const ctx = c.getContext('2d'), img = ctx.createImageData(m.resolution, m.resolution);
        values.forEach((v, i) => img.data.set([...diverging(signed ? v : 2 * v - 1, s), 255], 4 * i));
        ctx.putImageData(img, 0, 0);
        const fo = svg('foreignObject', { x, y, width: node, height: node });
        fo.append(c);
        root.append(fo);
        if (l === 0) root.append(svg('text', { x: x - 2, y: y + node / 2 + 4, 'text-anchor': 'end' }, Pretty[m.features[j]] || m.features[j]));
      }
    }
    return root;
  },
};
