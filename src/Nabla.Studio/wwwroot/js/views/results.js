// Results: the confusion matrix and the misclassified examples with their output activations.
import { el, get, post, store, percent, imageSide } from '../api.js';
import { image, grey, vectorBars } from '../draw.js';

export const resultsView = {
  mount(root) {
    this.matrix = el('div', { class: 'card', 'data-testid': 'results-confusion' });
    this.mistakes = el('div', { class: 'card grow', 'data-testid': 'results-mistakes' });
    root.append(el('p', { class: 'lead' }, 'How the current network does on its evaluation data: row = true class, column = the class it chose (the most active output neuron). Below, examples it gets wrong, with its output activations aᴸ.'),
      el('div', { class: 'buttons' }, el('button', { type: 'button', 'data-testid': 'results-refresh', onclick: () => this.refresh() }, 'Refresh')),
      el('div', { class: 'row' }, this.matrix, this.mistakes));
  },
  show() { this.refresh(); },

  async refresh() {
    if (!store.run) return;
    let r;
    try { r = await post('/api/results'); } catch (e) { this.matrix.textContent = e.message; return; }
    const n = r.class_names.length;
    const max = Math.max(...r.confusion.flat());
    const table = el('table', { class: 'confusion' });
    table.append(el('tr', {}, el('th', { text: 'true ↓ / chosen →' }), ...r.class_names.map((c) => el('th', { class: 'rot', text: c }))));
    r.confusion.forEach((row, t) => {
      table.append(el('tr', {}, el('th', { text: r.class_names[t] }), ...row.map((v, p) => {
        const td = el('td', { text: v, title: `${r.class_names[t]} taken for ${r.class_names[p]}: ${v}` });
        const s = v / (max || 1);
        td.style.background = t === p ? `rgba(46,139,87,${0.15 + 0.6 * s})` : v ? `rgba(192,57,43,${0.1 + 0.9 * Math.sqrt(s)})` : '';
        if (t !== p && s > 0.3) td.style.color = '#fff';
        return td;
      })));
    });
    this.matrix.replaceChildren(el('h3', { text: `Confusion matrix: ${r.correct} / ${r.total} right (${percent(r.correct / r.total)}) on the ${r.evaluated_on} data, after ${r.epoch} epochs` }), table);
    const side = imageSide();
    const tiles = el('div', { class: 'tiles' });
    const shown = r.misclassified.slice(0, 18);
    const examples = side ? await Promise.all(shown.map((m) => get(`/api/examples/${m.index}?set=${r.evaluated_on}`))) : [];
    shown.forEach((m, i) => {
      tiles.append(el('div', { class: 'tile card', 'data-testid': 'mistake' },
        side ? image(examples[i].input, side, side, 3, grey) : null,
        el('div', { class: 'small' }, `#${m.index}: is `, el('b', { text: m.label_name })),
        el('div', { class: 'small' }, 'taken for ', el('b', { text: m.predicted_name })),
        vectorBars('aᴸ', m.output, { width: 150, rowHeight: 11, testid: 'mistake-output', labels: r.class_names, showLabels: true, highlight: { [m.label]: '#2e8b57', [m.predicted]: '#c0392b' } })));
    });
    this.mistakes.replaceChildren(el('h3', { text: `Misclassified (${r.total - r.correct}; the first ${shown.length})` }),
      el('div', { class: 'small muted', text: `Each bar is one output neuron's activation: the longest is the network's answer (red); green is the true class.` }), tiles);
  },
};
