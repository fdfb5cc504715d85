// Train: every `nabla train` option that matters, start / pause / resume / step / reset / save, and live curves.
import { el, post, store, percent, fmt, throttle, epochAccuracy, epochCost } from '../api.js';
import { lineChart, legend } from '../draw.js';

const fields = [
  ['Network', [
    ['layers', 'layers', 'text', 'neurons per layer, input first'],
    ['activation', 'activation σ', 'text', 'one for all, or one per layer: relu,softmax'],
    ['cost', 'cost', 'select', null, ['quadratic', 'cross-entropy', 'log-likelihood']],
    ['init', 'initial weights', 'select', null, ['standard-normal', 'scaled-normal']],
  ]],
  ['Learning', [
    ['eta', 'η (learning rate)', 'number', null, null, 'any'],
    ['batch', 'm (mini-batch)', 'number'],
    ['epochs', 'epochs', 'number'],
    ['optimizer', 'optimiser', 'select', null, ['sgd', 'momentum', 'adam']],
    ['momentum', 'momentum μ', 'number', null, null, 'any'],
    ['schedule', 'η schedule', 'select', null, ['constant', 'step', 'halving']],
    ['step_gamma', 'step: η × γ', 'number', null, null, 'any'],
    ['step_every', 'step: every (epochs)', 'number'],
    ['halving_patience', 'halving: patience', 'number'],
    ['halvings', 'halving: stop after', 'number'],
    ['early_stopping', 'early stopping', 'number', 'empty: none'],
    ['lambda', 'λ (regularisation)', 'number', null, null, 'any'],
    ['regularization', 'penalty', 'select', null, ['l2', 'l1']],
    ['dropout', 'dropout p', 'number', null, null, 'any'],
    ['seed', 'seed', 'number'],
  ]],
  ['Data', [
    ['train_size', 'training examples', 'number', 'empty: all'],
    ['validation', 'evaluate on', 'select', null, ['test', 'validation']],
    ['precision', 'precision', 'select', null, ['float32', 'float64']],
    ['expand', 'expand images (ch. 3)', 'select', null, ['no', 'yes']],
    ['expand_shift', 'expand: shift (pixels)', 'number'],
    ['expand_rotation', 'expand: rotation (°)', 'number', null, null, 'any'],
    ['expand_mirror', 'expand: mirror half', 'select', null, ['no', 'yes']],
    ['monitor_training', 'also on training set', 'select', null, ['yes', 'no']],
  ]],
];

function formFrom(options) {
  const form = el('form', { class: 'options card', 'data-testid': 'train-form' });
  for (const [legendText, group] of fields) {
    const fs = el('fieldset', {}, el('legend', { text: legendText }));
    for (const [name, label, type, placeholder, choices, step] of group) {
      let input;
      if (type === 'select') input = el('select', { name }, ...choices.map((c) => el('option', { value: c, text: c })));
      else input = el('input', { name, type, placeholder, step: step || (type === 'number' ? '1' : null) });
      fs.append(el('label', {}, label, input));
    }
    form.append(fs);
  }
  setForm(form, options);
  return form;
}

function setForm(form, o) {
  const v = {
    ...o, layers: o.layers.join(','), activation: o.activation.join(','), train_size: o.train_size ?? '',
    early_stopping: o.early_stopping ?? '', expand: o.expand ? 'yes' : 'no', expand_mirror: o.expand_mirror ? 'yes' : 'no',
    validation: o.validation ? 'validation' : 'test', monitor_training: (o.monitor || []).some((m) => m === 'all' || m.startsWith('training')) ? 'yes' : 'no',
  };
  for (const input of form.elements) if (input.name in v) input.value = v[input.name];
}

function readForm(form) {
  const f = Object.fromEntries(new FormData(form).entries());
  const num = (k) => Number(f[k]);
  return {
    layers: f.layers, activation: f.activation, cost: f.cost, init: f.init, eta: num('eta'), batch: num('batch'), epochs: num('epochs'),
    optimizer: f.optimizer, momentum: num('momentum'), schedule: f.schedule, lambda: num('lambda'), regularization: f.regularization,
    dropout: num('dropout'), seed: num('seed'), train_size: f.train_size === '' ? null : num('train_size'),
    step_gamma: num('step_gamma'), step_every: num('step_every'), halving_patience: num('halving_patience'), halvings: num('halvings'),
    early_stopping: f.early_stopping === '' ? null : num('early_stopping'),
    expand: f.expand === 'yes', expand_shift: num('expand_shift'), expand_rotation: num('expand_rotation'), expand_mirror: f.expand_mirror === 'yes',
    validation: f.validation === 'validation', precision: f.precision, monitor: f.monitor_training === 'yes' ? ['all'] : ['evaluation-cost', 'evaluation-accuracy'],
  };
}

/** Why a finished run stopped, after its epoch count (all epochs done needs no words). */
const stopWords = { 'early-stopping': ', early stopping', schedule: ', the schedule\'s last halving' };

/** At most `max` items, evenly spaced, the last kept: a long run's live points cost the page no more to draw. */
function thin(items, max) {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.min(items.length - 1, Math.round((i + 1) * step) - 1)]);
}

export const trainView = {
  mount(root) {
    const intro = el('p', { class: 'lead' },
      'Train a network with the chapter\'s mini-batch stochastic gradient descent, on the engine\'s own thread. ',
      'Start a run, pause it, step one mini-batch at a time, and watch the other tabs: each shows the latest network. ',
      'The big dots are the book\'s end-of-epoch evaluation (“Epoch 0: 5230 / 10000”); the thin lines are live estimates on a fixed sample of the same data, a few times a second.');
    const form = formFrom(store.run?.options?.data === 'mnist' ? store.run.options : store.options.defaults);
    const message = el('div', { class: 'error small', 'data-testid': 'train-error' });
    const button = (text, testid, handler, primary) => el('button', { type: 'button', 'data-testid': testid, class: primary ? 'primary' : null, onclick: async () => {
      message.textContent = '';
      try { await handler(); } catch (e) { message.textContent = e.message; }
    } }, text);
    const start = button('Start', 'train-start', async () => { await post('/api/runs', readForm(form)); await store.reload(); }, true);
    const pause = button('Pause', 'train-pause', () => post('/api/runs/current/pause'));
    const resume = button('Resume', 'train-resume', () => post('/api/runs/current/resume'));
    const step = button('Step one mini-batch', 'train-step', () => post('/api/runs/current/step', { count: 1 }));
    const reset = button('Reset', 'train-reset', async () => {
      if (store.run?.state === 'running') await post('/api/runs/current/stop');
      await post('/api/runs', { ...readForm(form), paused: true });
      await store.reload();
    });
    const save = button('Save model', 'train-save', async () => {
      const r = await post('/api/runs/current/save');
      message.textContent = '';
      saved.textContent = `Saved on the server: ${r.saved} (epoch ${r.epoch})`;
    });
    const saved = el('div', { class: 'small muted', 'data-testid': 'train-saved' });
    const accuracy = el('div', { class: 'big', 'data-testid': 'train-accuracy', text: '—' });
    const line = el('div', { class: 'mono', 'data-testid': 'train-epoch-line', text: '—' });
    const speed = el('div', { class: 'mono', 'data-testid': 'train-speed', text: '—' });
    const position = el('div', { class: 'mono', 'data-testid': 'train-position', text: '—' });
    const figures = el('div', { class: 'figures' },
      el('div', {}, el('span', { text: 'evaluation accuracy (last epoch)' }), accuracy),
      el('div', {}, el('span', { text: 'the book\'s line' }), line),
      el('div', {}, el('span', { text: 'examples / s' }), speed),
      el('div', {}, el('span', { text: 'where' }), position));
    const accuracyChart = el('div', { 'data-testid': 'train-accuracy-chart' });
    const costChart = el('div', { 'data-testid': 'train-cost-chart' });
    const log = el('div', { class: 'log', 'data-testid': 'train-log' });
    root.append(intro, el('div', { class: 'row' },
      el('div', {}, form),
      el('div', { class: 'grow card' }, el('div', { class: 'buttons' }, start, pause, resume, step, reset, save), message, saved, figures,
        el('h3', { text: 'Accuracy' }), legend([
          { name: 'evaluation, end of epoch', colour: '#6a3fb5' }, { name: 'evaluation, live estimate', colour: '#b9a3e0' },
          { name: 'training, end of epoch', colour: '#2e8b57' }, { name: 'training, live estimate', colour: '#9fd3b5' }]),
        accuracyChart, el('h3', { text: 'Cost C (with the regularisation term)' }), costChart, el('h3', { text: 'Epochs' }), log)));

    const redraw = throttle(() => {
      const run = store.run;
      if (!run) return;
      for (const b of [start, reset]) b.disabled = run.state === 'running';
      pause.disabled = run.state !== 'running';
      resume.disabled = step.disabled = run.state !== 'paused';
      const epochs = store.epochs, progress = thin(store.progress, 300);
      const last = epochs[epochs.length - 1];
      accuracy.textContent = last ? percent(epochAccuracy(last)) : '—';
      line.textContent = last ? `${last.line} (${last.evaluated_on})` : 'no epoch yet';
      const live = progress[progress.length - 1];
      // While training: the speed between the last two snapshots; otherwise the last epoch's (its training time alone).
      const rate = run.state === 'running' && live && live.examples_per_second ? live.examples_per_second : last ? last.examples_per_second : 0;
      speed.textContent = rate ? Math.round(rate).toLocaleString('en') : '—';
      position.textContent = run.state === 'finished' ? `done: ${run.epoch} epochs${stopWords[run.stop_reason] ?? ''}`
        : `${run.state}: epoch ${run.epoch} of ${run.options.epochs}, example ${run.position.toLocaleString('en')} of ${run.examples_per_epoch.toLocaleString('en')}`;
      // Epoch e ends at x = e + 1 (epochs done); live points sit where they were taken.
      const endOf = (e) => e.epoch + 1;
      // One figure (accuracy or cost): live estimates as thin lines, end-of-epoch figures as dots.
      const series = (figure, evaluation) => [
        { name: 'eval live', colour: '#b9a3e0', width: 1.2, dots: true, dotRadius: 1.6, maxGap: 0.5, points: progress.map((p) => [p.epoch, p[`evaluation_${figure}`]]) },
        { name: 'train live', colour: '#9fd3b5', width: 1.2, dots: true, dotRadius: 1.6, maxGap: 0.5, points: progress.map((p) => [p.epoch, p[`training_${figure}`]]) },
        { name: 'train', colour: '#2e8b57', dots: true, points: epochs.filter((e) => e[`training_${figure}`] !== null).map((e) => [endOf(e), e[`training_${figure}`]]) },
        { name: 'eval', colour: '#6a3fb5', dots: true, points: epochs.map((e) => [endOf(e), evaluation(e)]) },
      ];
      accuracyChart.replaceChildren(lineChart(series('accuracy', epochAccuracy), { xLabel: 'epochs of training', yLabel: 'accuracy', width: 640, height: 210, xMin: 0 }));
      costChart.replaceChildren(lineChart(series('cost', epochCost), { xLabel: 'epochs of training', yLabel: 'cost', width: 640, height: 180, xMin: 0 }));
      log.textContent = epochs.slice(-200).map((e) => `${e.line}  cost ${fmt(epochCost(e))}  η ${e.eta}  ${e.train_seconds.toFixed(3)} s` +
        (e.training_accuracy !== null ? `  training ${percent(e.training_accuracy)}` : '')).join('\n');
      log.scrollTop = log.scrollHeight;
    }, 1000); // once a second: the page's drawing competes with training for the cores
    store.on((kind) => {
      if (kind === 'reload' && store.run && store.run.options.data === 'mnist') setForm(form, store.run.options);
      redraw();
    });
    redraw();
  },
};
