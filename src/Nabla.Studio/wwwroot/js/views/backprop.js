// Backprop, step by step: the chapter's five steps for one example, every vector from POST /api/backprop (Network<double>).
import { el, post, store, fmt, throttle, imageSide } from '../api.js';
import { vectorBars, image, diverging, grey, maxAbs, largestFirst } from '../draw.js';

const sup = (s) => el('sup', { text: s });

export function examplePicker(onChange, { label = 'test example' } = {}) {
  const input = el('input', { type: 'number', min: 0, value: 0, 'data-testid': 'example-index' });
  const go = () => onChange(Math.max(0, Number(input.value) || 0));
  input.addEventListener('change', go);
  const prev = el('button', { type: 'button', onclick: () => { input.value = Math.max(0, Number(input.value) - 1); go(); } }, '◀');
  const next = el('button', { type: 'button', onclick: () => { input.value = Number(input.value) + 1; go(); } }, '▶');
  const box = el('label', {}, label, prev, input, next);
  return { box, input, value: () => Math.max(0, Number(input.value) || 0) };
}

/** The image of an input: 28×28 grey when the data are images, else a strip. */
export function inputImage(x, side, zoom = 5) {
  return side ? image(x, side, side, zoom, grey) : vectorBars('x', x, { testid: 'input-vector' });
}

function step(n, title, equation, ...body) {
  return el('div', { class: 'card step', 'data-testid': 'bp-step', 'data-step': String(n) },
    el('h3', {}, `${n}. ${title}`, el('span', { class: 'eq', text: equation })), ...body);
}

export const backpropView = {
  mount(root) {
    this.root = root;
    const picker = examplePicker(() => this.refresh());
    this.picker = picker;
    this.info = el('span', { class: 'muted small', 'data-testid': 'bp-info' });
    const check = el('button', { type: 'button', 'data-testid': 'gradcheck-run', onclick: () => this.gradcheck() }, 'Check this gradient against finite differences (Eq. 46)');
    this.checkResult = el('div', { class: 'note', 'data-testid': 'gradcheck-result', text: 'Finite differences nudge every weight and bias in turn and run the whole network forward again: one forward pass per parameter. Backprop gets all of them from one forward and one backward pass.' });
    this.steps = el('div', {});
    root.append(el('p', { class: 'lead' },
      'The backpropagation algorithm for one example x, as chapter 2 states it. Every vector below was computed by the engine ',
      '(Network<double>.Forward and .Backprop on the latest snapshot of the network); the page only draws it. Blue is positive, orange negative; hover a bar for its value.'),
      el('div', { class: 'controls' }, picker.box, this.info, check), this.checkResult, this.steps);
    store.on((kind) => { if (kind === 'reload' || kind === 'state') this.refreshSoon(); });
    this.refreshSoon = throttle(() => this.refresh(), 400);
    this.refresh();
  },
  show() { this.refreshSoon?.(); },

  async refresh() {
    if (!store.run) return;
    let r;
    try { r = await post('/api/backprop', { example: this.picker.value() }); } catch (e) { this.steps.replaceChildren(el('div', { class: 'error', text: e.message })); return; }
    this.data = r;
    const side = imageSide();
    const L = r.layers.length;
    this.info.textContent = `class ${r.label} (${r.class_name}); the network says ${r.predicted} (${r.predicted_name}); C_x = ${fmt(r.cost_value)} (${r.cost}); network after ${r.epoch} epochs + ${r.position} examples (snapshot ${r.snapshot})`;
    const layers = r.layers;
    const meta = (l) => ({ layer: String(l) });
    // 1. Input
    const s1 = step(1, 'Input x', 'a⁰ = x', el('div', { class: 'vectors' }, inputImage(r.x, side, 5),
      el('div', { class: 'small muted' }, `Set the activation a⁰ of the input layer to the example: ${r.x.length} inputs`, side ? ` (${side}×${side} pixels, 0 = white, 1 = black)` : '', '.',
        el('br'), `Its target y is the one-hot vector of class ${r.label}.`)));
    // 2. Feedforward
    const ff = el('div', { class: 'vectors' });
    for (const layer of layers) {
      ff.append(el('div', { class: 'card' }, el('div', { class: 'small', text: `layer ${layer.layer} (${layer.size} neurons, ${layer.activation})` }),
        el('div', { class: 'vectors' },
          vectorBars(`z${layer.layer}`, layer.z, { rowHeight: rowFor(layer.size), meta: meta(layer.layer) }),
          el('div', { class: 'op', text: '→σ→' }),
          vectorBars(`a${layer.layer}`, layer.a, { rowHeight: rowFor(layer.size), meta: meta(layer.layer) }))));
    }
    const s2 = step(2, 'Feedforward', 'zˡ = wˡ aˡ⁻¹ + bˡ,  aˡ = σ(zˡ)   (Eq. 25)', el('div', { class: 'small muted', text: 'For each layer l = 1, 2, …, L compute the weighted input zˡ and the activation aˡ.' }), ff);
    // 3. BP1
    const out = layers[L - 1];
    const names = side ? store.options.data.classes : r.y.map((_, j) => `class ${j}`);
    const mark = { [r.label]: '#2e8b57', [r.predicted]: r.predicted === r.label ? '#2e8b57' : '#c0392b' };
    const bp1 = el('div', { class: 'row' },
      el('div', { class: 'vectors' },
        vectorBars('∇aC', r.cost_gradient, { rowHeight: 16, width: 190, labels: names, showLabels: true, highlight: mark, meta: { layer: String(L) } }), el('div', { class: 'op', text: '⊙' }),
        vectorBars(`σ'(z${L})`, out.sigma_prime, { rowHeight: 16, meta: meta(L) }), el('div', { class: 'op', text: '=' }),
        vectorBars(`δ${L}`, out.delta, { rowHeight: 16, meta: meta(L) })),
      el('div', { class: 'card' }, el('div', { class: 'small muted', text: `The output a${L} against the target y (green: the true class; red: a wrong answer)` }),
        el('div', { class: 'vectors' },
          vectorBars(`a${L}`, out.a, { rowHeight: 16, width: 190, labels: names, showLabels: true, highlight: mark, testid: 'bp-output' }),
          vectorBars('y', r.y, { rowHeight: 16, width: 110, testid: 'bp-target' }))));
    const s3 = step(3, 'Output error', 'δᴸ = ∇ₐC ⊙ σ\'(zᴸ)   (BP1)',
      el('div', { class: 'small muted', text: `How fast the cost changes with the output activations (∇ₐC; for the quadratic cost it is aᴸ − y), times how fast each output neuron's activation changes with its weighted input.` }),
      r.bp1_note ? el('div', { class: 'note', text: r.bp1_note }) : null, bp1);
    // 4. BP2, from layer L−1 down to 1
    const bp2 = el('div', {});
    for (let l = L - 1; l >= 1; l--) {
      const layer = layers[l - 1];
      bp2.append(el('div', { class: 'card' }, el('div', { class: 'small', text: `layer ${l}: the error of layer ${l + 1} moved back through the weights w${l + 1}, then gated by σ'(z${l})` }),
        el('div', { class: 'vectors' },
          vectorBars(`(w${l + 1})ᵀδ${l + 1}`, layer.weighted_error, { rowHeight: rowFor(layer.size), meta: meta(l) }), el('div', { class: 'op', text: '⊙' }),
          vectorBars(`σ'(z${l})`, layer.sigma_prime, { rowHeight: rowFor(layer.size), meta: meta(l) }), el('div', { class: 'op', text: '=' }),
          vectorBars(`δ${l}`, layer.delta, { rowHeight: rowFor(layer.size), meta: meta(l) }))));
    }
    const s4 = step(4, 'Backpropagate the error', 'δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ\'(zˡ)   (BP2)',
      el('div', { class: 'small muted', text: 'For each l = L−1, …, 1. A neuron whose σ\'(z) is near 0 (saturated) passes almost no error back.' }), L > 1 ? bp2 : el('div', { text: 'no hidden layer' }));
    // 5. BP3 and BP4
    const grads = el('div', { class: 'vectors' });
    for (const layer of layers) {
      const l = layer.layer;
      const box = el('div', { class: 'card' }, el('div', { class: 'small', text: `layer ${l}` }));
      const inner = el('div', { class: 'vectors' }, vectorBars(`∂C/∂b${l}`, layer.dc_db, { rowHeight: rowFor(layer.size), meta: meta(l) }));
      const flat = layer.dc_dw.flat();
      const scale = maxAbs(flat) || 1;
      if (l === 1 && side) {
        // Each hidden neuron j: ∂C/∂w¹_jk = a⁰_k δ¹_j over the 28×28 inputs k, the largest |δ¹_j| first.
        const order = largestFirst(layer.delta, 12);
        const tiles = el('div', { class: 'tiles', 'data-testid': 'bp4-tiles' });
        for (const j of order) tiles.append(el('div', { class: 'tile' }, image(layer.dc_dw[j], side, side, 2, (v) => diverging(v, scale)), `j = ${j}`));
        inner.append(el('div', {}, el('div', { class: 'small muted', text: `∂C/∂w¹ⱼₖ = a⁰ₖ δ¹ⱼ for the ${order.length} neurons j with the largest |δ¹ⱼ| (one image per j, over the inputs k)` }), tiles));
      } else {
        const k = layer.dc_dw[0].length;
        inner.append(el('div', {}, el('div', { class: 'small muted', text: `∂C/∂w${l}ⱼₖ = a${l - 1}ₖ δ${l}ⱼ: row j = neuron of layer ${l}, column k = neuron of layer ${l - 1}` }),
          image(flat, k, layer.size, Math.max(2, Math.min(12, Math.floor(240 / Math.max(k, layer.size)))), (v) => diverging(v, scale))));
      }
      box.append(inner);
      grads.append(box);
    }
    const s5 = step(5, 'Output: the gradient', '∂C/∂bˡⱼ = δˡⱼ (BP3),   ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ (BP4)',
      el('div', { class: 'small muted', text: 'The error δ gives the whole gradient: the bias gradient is δ itself; a weight\'s gradient is the activation feeding it times the error of the neuron it feeds. A weight from an input near 0 learns slowly.' }), grads);
    this.steps.replaceChildren(s1, s2, s3, s4, s5);
    this.root.dataset.example = String(r.example);
    this.root.dataset.snapshot = String(r.snapshot);
  },

  async gradcheck() {
    this.checkResult.textContent = 'checking… (one forward pass per parameter, and two more for central differences)';
    try {
      const r = await post('/api/gradcheck', { example: this.picker.value() });
      this.checkResult.replaceChildren(
        el('b', { text: r.passed ? 'Backprop agrees with finite differences. ' : 'Backprop and finite differences disagree! ' }),
        `Worst relative error ${fmt(r.max_relative_error, 3)} (central differences, ${r.worst?.parameter}); ${fmt(r.max_relative_error_forward, 3)} with Eq. 46's forward differences, over ${r.parameters_checked.toLocaleString('en')} of ${r.parameters.toLocaleString('en')} parameters. `,
        el('br'),
        `Forward passes for the whole gradient: backprop ${r.forward_passes_backprop} (+ ${r.backward_passes_backprop} backward pass, ${fmt(r.backprop_seconds * 1000, 3)} ms); `,
        `Eq. 46 ${r.forward_passes_finite_difference.toLocaleString('en')} (central differences ${r.forward_passes_central_difference.toLocaleString('en')}); this check ran ${r.forward_passes_this_check.toLocaleString('en')} in ${r.check_seconds.toFixed(2)} s.`);
      this.checkResult.dataset.maxRelativeError = String(r.max_relative_error);
      this.checkResult.dataset.passed = String(r.passed);
    } catch (e) { this.checkResult.textContent = e.message; }
  },
};

function rowFor(n) { return n <= 12 ? 16 : n <= 40 ? 8 : n <= 100 ? 3 : 1; }
