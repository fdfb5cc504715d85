// Slowdown and saturation: per-layer ‖∂C/∂w‖ and share of saturated neurons over training, and `nabla explain slowdown`.
import { el, post, store, throttle, percent } from '../api.js';
import { lineChart, legend, palette } from '../draw.js';

export const slowdownView = {
  mount(root) {
    this.root = root;
    this.live = el('div', { class: 'card', 'data-testid': 'slowdown-live' });
    this.compare = el('div', { class: 'card', 'data-testid': 'slowdown-compare' });
    const button = el('button', { type: 'button', class: 'primary', 'data-testid': 'slowdown-run', onclick: () => this.run(button) }, 'Run quadratic vs cross-entropy (as nabla explain slowdown)');
    root.append(el('p', { class: 'lead' },
      'Why learning can be slow. By BP1 and BP2 every δ carries a factor σ\'(z): a saturated neuron (σ\' ≈ 0) has a tiny error, so by BP3/BP4 its weights and bias barely move. ',
      'Left: the current run, measured by the engine a few times a second on a fixed sample of the training examples. Right: the chapter-3 experiment, sigmoid + quadratic against sigmoid + cross-entropy from the same saturated start.'),
      el('div', { class: 'row' }, this.live, el('div', {}, el('div', { class: 'buttons' }, button), this.compare)));
    this.redraw = throttle(() => this.draw(), 500);
    store.on(() => { if (root.classList.contains('active')) this.redraw(); });
    this.draw();
  },
  show() { this.redraw?.(); },

  draw() {
    const progress = store.progress;
    const L = store.run ? store.run.layers.length - 1 : 0;
    const series = (f) => Array.from({ length: L }, (_, i) => ({ name: `layer ${i + 1}`, colour: palette[i % palette.length], points: progress.map((p) => [p.epoch, f(p.layers[i])]) }));
    const items = Array.from({ length: L }, (_, i) => ({ name: `layer ${i + 1}`, colour: palette[i % palette.length] }));
    this.live.replaceChildren(el('h3', { text: 'This run: ‖∂C/∂wˡ‖ per layer (log scale)' }), legend(items),
      lineChart(series((x) => x.weight_gradient_norm), { log: true, xMin: 0, xLabel: 'epochs of training', yLabel: '‖∂C/∂w‖', width: 520, height: 200 }),
      el('h3', { text: 'Share of saturated neurons, σ\'(z) < 0.01' }),
      lineChart(series((x) => x.saturated_fraction), { yMin: 0, yMax: 1, xMin: 0, xLabel: 'epochs of training', yLabel: 'saturated', width: 520, height: 170 }),
      el('div', { class: 'small muted', text: progress.length ? `${progress.length} measurements; the last: ` + progress[progress.length - 1].layers.map((x) => `layer ${x.layer} ${percent(x.saturated_fraction)} saturated`).join(', ') : 'Start a run (Train tab) to measure it as it learns.' }));
  },

  async run(button) {
    button.disabled = true;
    this.compare.replaceChildren(el('div', { class: 'muted', text: 'training both networks for 2 epochs…' }));
    try {
      const r = await post('/api/slowdown', { epochs: 2 });
      const L = r.layers.length - 1;
      const s = [];
      r.series.forEach((c, ci) => {
        for (let l = 0; l < L; l++) s.push({ name: `${c.cost}, layer ${l + 1}`, colour: palette[l], dashed: ci === 1, points: c.snapshots.map((q) => [q.epoch, q.weight_gradient_norms[l]]) });
      });
      const items = s.map((x) => ({ name: x.name, colour: x.colour, dashed: x.dashed }));
      this.compare.replaceChildren(el('h3', { text: `‖∂C/∂wˡ‖ from the same N(0,1) start, [${r.layers.join(',')}], η = ${r.eta}, ${r.train_size.toLocaleString('en')} examples` }),
        legend(items), lineChart(s, { log: true, xMin: 0, xLabel: 'epochs of training', yLabel: '‖∂C/∂w‖', width: 520, height: 240, testid: 'slowdown-chart' }),
        el('div', { class: 'small' }, r.series.map((c) => `${c.configuration}: test accuracy ${percent(c.test_accuracy)}`).join(' · ')),
        el('div', { class: 'note', text: 'With the quadratic cost, δᴸ = (a − y) σ\'(zᴸ): saturated output neurons make every gradient small and learning crawls. Cross-entropy cancels σ\'(zᴸ) (δᴸ = a − y), so its gradients (dashed) stay larger.' }));
    } catch (e) { this.compare.replaceChildren(el('div', { class: 'error', text: e.message })); }
    button.disabled = false;
  },
};
