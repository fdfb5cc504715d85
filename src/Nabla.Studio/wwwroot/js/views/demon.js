// The demon (Eq. 29): nudge zˡⱼ by Δz; the engine measures ΔC and compares it with δˡⱼ Δz.
import { el, post, store, fmt, throttle } from '../api.js';
import { lineChart, legend } from '../draw.js';
import { examplePicker } from './backprop.js';

const Range = 3;
const Grid = Array.from({ length: 41 }, (_, i) => -Range + (i * 2 * Range) / 40);

export const demonView = {
  mount(root) {
    this.root = root;
    this.picker = examplePicker(() => this.refresh());
    this.layer = el('select', { 'data-testid': 'demon-layer', onchange: () => this.refresh() });
    this.neuron = el('input', { type: 'number', min: 0, value: 0, 'data-testid': 'demon-neuron', onchange: () => this.refresh() });
    this.dz = el('input', { type: 'range', min: -Range, max: Range, step: 0.05, value: 0.5, 'data-testid': 'demon-dz' });
    this.dzText = el('span', { class: 'mono' });
    this.dz.addEventListener('input', () => this.refreshSoon());
    this.chart = el('div', { 'data-testid': 'demon-chart' });
    this.readout = el('div', { class: 'note', 'data-testid': 'demon-readout' });
    root.append(el('p', { class: 'lead' },
      'A demon sits at neuron j of layer l and adds Δz to its weighted input, so the neuron outputs σ(zˡⱼ + Δz) instead of σ(zˡⱼ). The change travels through the later layers and the cost changes by ΔC. ',
      'Eq. 29 says ΔC ≈ (∂C/∂zˡⱼ) Δz = δˡⱼ Δz: the error δ is exactly the rate at which the cost changes with the weighted input. The error of that approximation is second order: halve Δz and it quarters.'),
      el('div', { class: 'controls' }, this.picker.box, el('label', {}, 'layer l', this.layer), el('label', {}, 'neuron j', this.neuron),
        el('label', {}, 'Δz', this.dz, this.dzText)),
      el('div', { class: 'row' }, el('div', { class: 'card' }, legend([{ name: 'measured ΔC (the demon\'s nudge, forward pass)', colour: '#6a3fb5' }, { name: 'δˡⱼ Δz (backprop\'s prediction, Eq. 29)', colour: '#e0852b', dashed: true }]), this.chart), this.readout));
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
    this.refresh();
  },

  async refresh() {
    if (!store.run) return;
    const dz = Number(this.dz.value);
    this.dzText.textContent = dz.toFixed(2);
    const body = { example: this.picker.value(), layer: Number(this.layer.value || 1), neuron: Number(this.neuron.value || 0), dz: [...Grid, dz] };
    let r;
    try { r = await post('/api/demon', body); } catch (e) { this.readout.textContent = e.message; return; }
    const points = r.points.slice(0, Grid.length);
    const chosen = r.points[r.points.length - 1];
    const chart = lineChart([
      { name: 'measured', colour: '#6a3fb5', points: points.map((p) => [p.dz, p.measured_dC]), width: 2.2 },
      { name: 'predicted', colour: '#e0852b', dashed: true, points: points.map((p) => [p.dz, p.predicted_dC]) },
    ], {
      width: 560, height: 300, xLabel: 'Δz added to zˡⱼ', yLabel: 'change in cost ΔC', testid: 'demon-svg',
      marks: [{ x: chosen.dz, colour: '#999' }, { point: [chosen.dz, chosen.measured_dC], colour: '#6a3fb5' }, { point: [chosen.dz, chosen.predicted_dC], colour: '#e0852b' },
        { segment: [[chosen.dz, chosen.measured_dC], [chosen.dz, chosen.predicted_dC]], colour: '#c0392b' }],
    });
    this.chart.replaceChildren(chart);
    this.chart.dataset.dz = String(chosen.dz);
    this.chart.dataset.measured = String(chosen.measured_dC);
    this.chart.dataset.predicted = String(chosen.predicted_dC);
    const half = r.points.length; // ask again for Δz/2 only in the readout's wording: the grid shows the shape
    this.readout.replaceChildren(
      el('div', {}, el('b', { text: `δ${r.layer}${sub(r.neuron)} = ∂C/∂z${r.layer}${sub(r.neuron)} = ${fmt(r.delta, 5)}` }), ` (from backprop, BP3: δ = ∂C/∂b); cost C = ${fmt(r.cost, 5)}.`),
      el('div', { class: 'mono' }, `At Δz = ${chosen.dz.toFixed(2)}:`),
      el('div', { class: 'mono' }, `  measured ΔC = ${fmt(chosen.measured_dC, 5)}`),
      el('div', { class: 'mono' }, `  δ·Δz        = ${fmt(chosen.predicted_dC, 5)}`),
      el('div', { class: 'mono' }, `  |difference| = ${fmt(chosen.error, 3)}  (red segment)`),
      el('div', { class: 'small muted', text: 'Near Δz = 0 the two curves touch: the slope of the measured curve there is δ. Far from 0 they part, because σ and the cost are curved.' }));
    void half;
  },
};

function sub(j) { return String(j).split('').map((c) => '₀₁₂₃₄₅₆₇₈₉'[Number(c)]).join(''); }
