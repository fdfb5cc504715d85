// The demon (Eq. 29): nudge zˡⱼ by Δz; the engine measures ΔC and compares it with δˡⱼ Δz.
import { el, post, store, fmt, throttle } from '../api.js';
import { lineChart, legend, maxAbs } from '../draw.js';
import { examplePicker } from './backprop.js';

const Range = 3;
const Steps = 40;
const Halvings = Array.from({ length: 14 }, (_, i) => 2 ** (1 - i)); // 2, 1, ½, …, 2⁻¹²

export const demonView = {
  mount(root) {
    this.root = root;
    this.picker = examplePicker(() => this.pickNeuron());
    this.layer = el('select', { 'data-testid': 'demon-layer', onchange: () => this.pickNeuron() });
    this.neuron = el('input', { type: 'number', min: 0, value: 0, 'data-testid': 'demon-neuron', onchange: () => this.refresh() });
    this.dz = el('input', { type: 'range', min: -Range, max: Range, step: 0.01, value: 0.5, 'data-testid': 'demon-dz' });
    this.dzText = el('span', { class: 'mono' });
    this.dz.addEventListener('input', () => this.refreshSoon());
    this.chart = el('div', { 'data-testid': 'demon-chart' });
    this.errors = el('div', { 'data-testid': 'demon-errors' });
    this.readout = el('div', { class: 'note', 'data-testid': 'demon-readout' });
    root.append(el('p', { class: 'lead' },
      'A demon sits at neuron j of layer l and adds Δz to its weighted input, so the neuron outputs σ(zˡⱼ + Δz) instead of σ(zˡⱼ). The change travels through the later layers and the cost changes by ΔC. ',
      'Eq. 29 says ΔC ≈ (∂C/∂zˡⱼ) Δz = δˡⱼ Δz: the error δ is exactly the rate at which the cost changes with the weighted input. Drag Δz towards 0 and the two curves meet; the gap shrinks like Δz² (right).'),
      el('div', { class: 'controls' }, this.picker.box, el('label', {}, 'layer l', this.layer), el('label', {}, 'neuron j', this.neuron),
        el('label', {}, 'Δz', this.dz, this.dzText)),
      el('div', { class: 'row' },
        el('div', { class: 'card' }, legend([{ name: 'measured ΔC (the demon\'s nudge, a forward pass)', colour: '#6a3fb5' }, { name: 'δˡⱼ Δz (backprop\'s prediction, Eq. 29)', colour: '#e0852b', dashed: true }]), this.chart),
        el('div', { class: 'card' }, legend([{ name: '|ΔC − δΔz|, measured', colour: '#c0392b' }, { name: 'a line ∝ Δz² (second order)', colour: '#999', dashed: true }]), this.errors),
        this.readout));
    this.refreshSoon = throttle(() => this.refresh(), 60);
    store.on((kind) => { if (kind === 'reload') this.fillLayers(); });
    this.fillLayers();
  },
  show() { this.fillLayers(); },

  fillLayers() {
    if (!store.run) return;
    const sizes = store.run.layers;
    const keep = this.layer.value;
    this.layer.replaceChildren(...sizes.slice(1).map((n, i) => el('option', { value: i + 1, text: `${i + 1}${i + 1 === sizes.length - 1 ? ' (output)' : ''}: ${n} neurons` })));
    if (keep && Number(keep) < sizes.length) this.layer.value = keep;
    this.pickNeuron();
  },

  /** Starts on the neuron of the layer with the largest |δ| for this example, where the demon has most to show. */
  async pickNeuron() {
    try {
      const bp = await post('/api/backprop', { example: this.picker.value() });
      const delta = bp.layers[Number(this.layer.value || 1) - 1].delta;
      const largest = maxAbs(delta);
      this.neuron.value = String(delta.findIndex((d) => Math.abs(d) === largest));
    } catch { /* the refresh below reports it */ }
    this.refresh();
  },

  async refresh() {
    if (!store.run) return;
    const dz = Number(this.dz.value);
    this.dzText.textContent = dz.toFixed(2);
    // The chart spans twice the chosen nudge, so that dragging towards 0 zooms in on where the curves touch.
    const span = Math.max(0.1, 2 * Math.abs(dz));
    const grid = Array.from({ length: Steps + 1 }, (_, i) => -span + (i * 2 * span) / Steps);
    const body = { example: this.picker.value(), layer: Number(this.layer.value || 1), neuron: Number(this.neuron.value || 0), dz: [...grid, ...Halvings, dz, dz / 2] };
    let r;
    try { r = await post('/api/demon', body); } catch (e) { this.readout.textContent = e.message; return; }
    const points = r.points.slice(0, grid.length), halving = r.points.slice(grid.length, grid.length + Halvings.length);
    const [chosen, half] = r.points.slice(-2);
    this.chart.replaceChildren(lineChart([
      { name: 'measured', colour: '#6a3fb5', points: points.map((p) => [p.dz, p.measured_dC]), width: 2.2 },
      { name: 'predicted', colour: '#e0852b', dashed: true, points: points.map((p) => [p.dz, p.predicted_dC]) },
    ], {
      width: 480, height: 300, xLabel: 'Δz added to zˡⱼ', yLabel: 'change in cost ΔC', testid: 'demon-svg',
      marks: [{ x: chosen.dz, colour: '#999' }, { point: [chosen.dz, chosen.measured_dC], colour: '#6a3fb5' }, { point: [chosen.dz, chosen.predicted_dC], colour: '#e0852b' },
        { segment: [[chosen.dz, chosen.measured_dC], [chosen.dz, chosen.predicted_dC]], colour: '#c0392b' }],
    }));
    const first = halving[0];
    this.errors.replaceChildren(lineChart([
      { name: 'error', colour: '#c0392b', dots: true, points: halving.map((p) => [p.dz, p.error]) },
      { name: 'Δz²', colour: '#999', dashed: true, points: halving.map((p) => [p.dz, first.error * (p.dz / first.dz) ** 2]) },
    ], { width: 380, height: 300, log: true, logX: true, xLabel: 'Δz (log scale)', yLabel: '|ΔC − δΔz| (log scale)', marks: [{ x: Math.abs(chosen.dz), colour: '#999' }] }));
    this.chart.dataset.dz = String(chosen.dz);
    this.chart.dataset.measured = String(chosen.measured_dC);
    this.chart.dataset.predicted = String(chosen.predicted_dC);
    this.readout.replaceChildren(
      el('div', {}, el('b', { text: `δ${r.layer}${sub(r.neuron)} = ∂C/∂z${r.layer}${sub(r.neuron)} = ${fmt(r.delta, 5)}` }), el('br'), `(from backprop; BP3: δ = ∂C/∂b). Cost C = ${fmt(r.cost, 5)}.`),
      el('div', { class: 'mono' }, `At Δz = ${chosen.dz.toFixed(2)}:`),
      el('div', { class: 'mono' }, `  measured ΔC  = ${fmt(chosen.measured_dC, 5)}`),
      el('div', { class: 'mono' }, `  δ·Δz         = ${fmt(chosen.predicted_dC, 5)}`),
      el('div', { class: 'mono' }, `  |difference| = ${fmt(chosen.error, 3)}  (red segment)`),
      el('div', { class: 'mono' }, `  at Δz/2 it is ${fmt(half.error, 3)}${half.error > 0 ? `: ${fmt(chosen.error / half.error, 3)} times smaller` : ''}`),
      el('div', { class: 'small muted', text: 'Second order: halving Δz divides the gap by about 4. The slope of the measured curve at Δz = 0 is δ.' }));
  },
};

function sub(j) { return String(j).split('').map((c) => '₀₁₂₃₄₅₆₇₈₉'[Number(c)]).join(''); }
