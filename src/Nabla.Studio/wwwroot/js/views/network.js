// Network: every neuron coloured by aˡ (or δˡ) for one example, weights as lines, first-layer weights as 28×28 tiles.
import { el, get, post, store, fmt, throttle, imageSide } from '../api.js';
import { svg, diverging, grey, rgb, maxAbs, image, largestFirst } from '../draw.js';
import { examplePicker, inputImage } from './backprop.js';

const MaxDrawn = 64; // wider layers are drawn as heat-map strips, without lines

/** The network diagram: columns of neurons, lines for weights between layers of at most 64 neurons. */
export function diagram({ sizes, values, weights, mode, width = 900, height = 420, inputSide = 0, outputNames = null, predicted = -1, testid = 'network-diagram' }) {
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-testid': testid });
  const L = sizes.length - 1;
  const xs = sizes.map((_, l) => 110 + (l * (width - 340)) / Math.max(1, L)); // room on the right for the output's names
  const position = (l, j) => {
    const n = sizes[l];
    const gap = Math.min(26, (height - 60) / n);
    return [xs[l], height / 2 - ((n - 1) * gap) / 2 + j * gap];
  };
  const lines = svg('g', {});
  for (let l = 1; l <= L; l++) {
    if (sizes[l] > MaxDrawn || sizes[l - 1] > MaxDrawn || !weights?.[l - 1]) continue;
    const w = weights[l - 1], s = maxAbs(w.flat()) || 1;
    for (let j = 0; j < sizes[l]; j++) for (let k = 0; k < sizes[l - 1]; k++) {
      const [x1, y1] = position(l - 1, k), [x2, y2] = position(l, j);
      const line = svg('line', { x1, y1, x2, y2, stroke: w[j][k] >= 0 ? '#2f6fb7' : '#e0852b', 'stroke-width': (0.2 + 3 * Math.abs(w[j][k]) / s).toFixed(2), opacity: 0.55 });
      line.append(svg('title', {}, `w${l}[${j},${k}] = ${w[j][k]}`));
      lines.append(line);
    }
  }
  root.append(lines);
  for (let l = 0; l <= L; l++) {
    const v = values[l];
    const signed = mode === 'delta' || v.some((x) => x < 0 || x > 1);
    const scale = maxAbs(v) || 1;
    const colour = (x) => rgb(signed ? diverging(x, scale) : grey(x));
    const label = l === 0 ? `input (${sizes[0]})` : `layer ${l} (${sizes[l]})`;
    root.append(svg('text', { x: xs[l], y: 14, 'text-anchor': 'middle' }, label));
    if (l === 0 && inputSide && mode !== 'delta') {
      const img = inputImage(v, inputSide, 3);
      const fo = svg('foreignObject', { x: xs[0] - 45, y: height / 2 - 45, width: 90, height: 90 });
      fo.append(img);
      root.append(fo, svg('text', { x: xs[0], y: height / 2 + 62, 'text-anchor': 'middle', class: 'small' }, `${sizes[0]} inputs: too many to draw`),
        svg('text', { x: xs[0], y: height / 2 + 76, 'text-anchor': 'middle', class: 'small' }, 'their weights: the tiles below'));
      continue;
    }
    if (sizes[l] > MaxDrawn) {
      // A heat-map strip: one thin cell per neuron.
      const h = height - 60, cell = h / sizes[l];
      for (let j = 0; j < sizes[l]; j++) root.append(svg('rect', { x: xs[l] - 8, y: 30 + j * cell, width: 16, height: Math.max(cell, 0.5), fill: colour(v[j]) }));
      continue;
    }
    for (let j = 0; j < sizes[l]; j++) {
      const [x, y] = position(l, j);
      const c = svg('circle', { cx: x, cy: y, r: Math.min(9, (height - 60) / sizes[l] / 2.2), fill: colour(v[j]), stroke: '#555', 'stroke-width': 0.6 });
      c.append(svg('title', {}, `${mode === 'delta' ? 'δ' : 'a'}${l}[${j}] = ${v[j]}`));
      root.append(c);
      if (l === L && sizes[l] <= 20) {
        const name = outputNames ? outputNames[j] : String(j);
        root.append(svg('text', { x: x + 14, y: y + 4, 'font-weight': j === predicted ? 'bold' : null },
          `${name}: ${mode === 'delta' ? 'δ' : 'a'} = ${fmt(v[j], 3)}${j === predicted ? '  ← the answer' : ''}`));
      }
    }
  }
  return root;
}

export const networkView = {
  mount(root) {
    this.root = root;
    this.picker = examplePicker(() => this.refresh());
    this.mode = el('select', { 'data-testid': 'network-mode', onchange: () => this.refresh() },
      el('option', { value: 'a', text: 'colour = activation aˡ' }), el('option', { value: 'delta', text: 'colour = error δˡ' }));
    this.info = el('div', { class: 'small muted', 'data-testid': 'network-info' });
    this.picture = el('div', { class: 'card' });
    this.inputs = el('div', { class: 'card' });
    this.tiles = el('div', { class: 'card' });
    root.append(el('p', { class: 'lead' },
      'The current network on one example. Each circle is a neuron coloured by its activation aˡⱼ (white 0, black 1) or by its error δˡⱼ (blue +, orange −). ',
      'Lines are weights wˡⱼₖ between layers of up to 64 neurons: blue positive, orange negative, thicker when |w| is larger. Wider layers are drawn as a strip of cells.'),
      el('div', { class: 'controls' }, this.picker.box, this.mode), this.info, this.picture,
      el('div', { class: 'row' }, this.inputs, this.tiles));
    this.refreshSoon = throttle(() => this.refresh(), 1000);
    store.on((kind) => { if (root.classList.contains('active')) this.refreshSoon(); });
    this.refresh();
  },
  show() { this.refreshSoon?.(); },

  async refresh() {
    if (!store.run) return;
    let bp, net;
    try {
      [bp, net] = await Promise.all([post('/api/backprop', { example: this.picker.value() }), get('/api/network')]);
    } catch (e) { this.info.textContent = e.message; return; }
    const mode = this.mode.value;
    const side = imageSide();
    const values = [mode === 'delta' ? bp.x.map(() => 0) : bp.x, ...bp.layers.map((l) => (mode === 'delta' ? l.delta : l.a))];
    this.info.textContent = `Example ${bp.example}: class ${bp.label} (${bp.class_name}), the network answers ${bp.predicted} (${bp.predicted_name}). Network after ${bp.epoch} epochs (snapshot ${bp.snapshot}).` +
      (mode === 'delta' ? ' The input layer has no δ.' : '');
    const names = side ? store.options.data.classes : null;
    this.picture.replaceChildren(diagram({ sizes: bp.sizes, values, weights: net.layers.map((l) => l.weights), mode, inputSide: side, outputNames: names, predicted: bp.predicted }));
    this.root.dataset.snapshot = String(net.snapshot);
    // Input and ∂C/∂w¹ of a few neurons, as images.
    const first = bp.layers[0];
    if (side) {
      const scale = maxAbs(first.dc_dw.flat()) || 1;
      const order = largestFirst(first.delta, 8);
      this.inputs.replaceChildren(el('h3', { text: 'Input x and ∂C/∂w¹ⱼ· (BP4) for the neurons with the largest |δ¹ⱼ|' }),
        el('div', { class: 'tiles' }, el('div', { class: 'tile' }, image(bp.x, side, side, 3, grey), 'input x'),
          ...order.map((j) => el('div', { class: 'tile' }, image(first.dc_dw[j], side, side, 3, (v) => diverging(v, scale)), `∂C/∂w¹ of neuron ${j}`))));
      const w1 = net.layers[0].weights;
      if (w1) {
        const shown = w1.slice(0, 64);
        const tiles = el('div', { class: 'tiles', 'data-testid': 'weight-tiles' });
        shown.forEach((row, j) => {
          const s = maxAbs(row) || 1;
          tiles.append(el('div', { class: 'tile' }, image(row, side, side, 2, (v) => diverging(v, s)), String(j)));
        });
        this.tiles.replaceChildren(el('h3', { text: `First-layer weights: what each hidden neuron looks for (w¹ⱼ· as ${side}×${side}, blue +, orange −)` }),
          el('div', { class: 'small muted', text: `Refreshed while training; ${shown.length} of ${w1.length} neurons.` }), tiles);
      }
    } else {
      this.inputs.replaceChildren(el('div', { class: 'small muted', text: `Input: ${bp.x.map((v) => fmt(v, 3)).join(', ')}` }));
      this.tiles.replaceChildren();
    }
  },
};
