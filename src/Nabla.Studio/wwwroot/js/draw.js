// Drawing only: SVG charts, coloured vectors and images. No equation of the chapter is computed here.
import { fmt } from './api.js';

const NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, v);
  for (const c of children.flat()) if (c) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}

/** Diverging colour for a signed value: orange below 0, white at 0, blue above (TensorFlow Playground's scheme). */
export function diverging(v, scale) {
  const t = Math.max(-1, Math.min(1, scale > 0 ? v / scale : 0));
  const [r0, g0, b0] = t >= 0 ? [47, 111, 183] : [224, 133, 43];
  const s = Math.abs(t);
  return [Math.round(255 + (r0 - 255) * s), Math.round(255 + (g0 - 255) * s), Math.round(255 + (b0 - 255) * s)];
}
export const rgb = ([r, g, b]) => `rgb(${r},${g},${b})`;
/** Grey for a value in [0, 1] (an activation or a pixel): black is 1, as ink on paper. */
export function grey(v) { const c = Math.round(255 * (1 - Math.max(0, Math.min(1, v)))); return [c, c, c]; }
export const maxAbs = (values) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
/** The indices of the `count` values largest in magnitude, largest first (which neurons to draw). */
export const largestFirst = (values, count) => values.map((v, j) => [Math.abs(v), j]).sort((a, b) => b[0] - a[0]).slice(0, count).map((p) => p[1]);

/** A canvas showing `values` as a w×h image, each value coloured by `colour`, scaled up by `zoom`. */
export function image(values, w, h, zoom, colour) {
  const c = document.createElement('canvas');
  c.width = w; c.height = h; c.className = 'pixels';
  c.style.width = `${w * zoom}px`; c.style.height = `${h * zoom}px`;
  const ctx = c.getContext('2d');
  const data = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = colour(values[i]);
    data.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(data, 0, 0);
  return c;
}

/**
 * A vector as a column of coloured cells with its values as bars: each neuron one row. `values` keep full precision in
 * data-values, so that a test can compare what is drawn with the engine's numbers.
 */
export function vectorBars(name, values, { scale = null, width = 120, rowHeight = 14, labels = null, showLabels = false, highlight = {}, testid = 'bp-vector', meta = {} } = {}) {
  const s = scale ?? (maxAbs(values) || 1);
  const n = values.length;
  const h = Math.max(1, rowHeight) * n + 4;
  const lw = showLabels && labels && rowHeight >= 10 ? 74 : 0; // a column of row names (class names) on the left
  const mid = lw + (width - lw) / 2;
  const root = svg('svg', { width, height: h, viewBox: `0 0 ${width} ${h}` });
  root.append(svg('line', { x1: mid, x2: mid, y1: 0, y2: h, stroke: '#aab' }));
  if (lw) labels.forEach((label, j) => root.append(svg('text', { x: lw - 3, y: 2 + j * rowHeight + rowHeight - 4, 'text-anchor': 'end', fill: highlight[j] || null, 'font-weight': highlight[j] ? 'bold' : null }, label.length > 11 ? label.slice(0, 10) + '…' : label)));
  values.forEach((v, j) => {
    const len = Math.min(1, Math.abs(v) / s) * (mid - lw - 2);
    const y = 2 + j * rowHeight;
    const bar = svg('rect', { x: v >= 0 ? mid : mid - len, y, width: Math.max(len, 0.5), height: Math.max(1, rowHeight - 2), fill: rgb(diverging(v, s)), stroke: v >= 0 ? '#2f6fb7' : '#e0852b', 'stroke-width': 0.5 });
    bar.append(svg('title', {}, `${name}[${labels ? labels[j] : j}] = ${v}`));
    root.append(bar);
    if (rowHeight >= 12) root.append(svg('text', { x: v >= 0 ? lw + 2 : width - 2, y: y + rowHeight - 4, 'text-anchor': v >= 0 ? 'start' : 'end', class: 'small' }, fmt(v, 3)));
  });
  const box = document.createElement('div');
  box.className = 'vector';
  box.dataset.testid = testid;
  box.dataset.name = name;
  box.dataset.values = JSON.stringify(values);
  for (const [k, v] of Object.entries(meta)) box.dataset[k] = v;
  const title = document.createElement('div');
  title.className = 'name';
  title.textContent = name;
  box.append(title, root);
  return box;
}

/**
 * A line chart: series = [{name, colour, points: [[x, y], ...], dashed, dots, width}]. Axes with a few ticks; y may be log.
 */
export function lineChart(series, { width = 520, height = 220, xLabel = '', yLabel = '', yMin = null, yMax = null, log = false, logX = false, xMin = null, xMax = null, testid = null, marks = [] } = {}) {
  const m = { l: 64, r: 26, t: 10, b: 34 };
  const ok = (p) => Number.isFinite(p[1]) && (!log || p[1] > 0) && (!logX || p[0] > 0);
  const all = series.flatMap((s) => s.points).filter(ok);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-testid': testid });
  if (!all.length) {
    root.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', fill: '#889' }, 'no points yet'));
    return root;
  }
  const ty = (v) => (log ? Math.log10(v) : v), tx = (v) => (logX ? Math.log10(v) : v);
  let x0 = xMin ?? Math.min(...all.map((p) => tx(p[0]))), x1 = xMax ?? Math.max(...all.map((p) => tx(p[0])));
  let y0 = yMin ?? Math.min(...all.map((p) => ty(p[1]))), y1 = yMax ?? Math.max(...all.map((p) => ty(p[1])));
  if (x1 === x0) { x1 = x0 + 1; }
  if (y1 === y0) { y1 = y0 + (Math.abs(y0) || 1) * 0.1; y0 -= (Math.abs(y0) || 1) * 0.1; }
  // Ticks at round numbers (1, 2, 2.5 or 5 × 10^k; whole powers of ten on log axes); a range the caller did not fix widens
  // to the nearest ticks, so no label shows a value like 0.068.
  const xTicks = niceTicks(x0, x1, logX, xMin === null || xMin === undefined, xMax === null || xMax === undefined);
  const yTicks = niceTicks(y0, y1, log, yMin === null || yMin === undefined, yMax === null || yMax === undefined);
  [x0, x1, y0, y1] = [xTicks.lo, xTicks.hi, yTicks.lo, yTicks.hi];
  const X = (x) => m.l + ((tx(x) - x0) / (x1 - x0)) * (width - m.l - m.r);
  const Y = (y) => height - m.b - ((ty(y) - y0) / (y1 - y0)) * (height - m.t - m.b);
  const grid = svg('g', { class: 'grid' }), axis = svg('g', { class: 'axis' });
  for (const v of yTicks.values) {
    const y = height - m.b - ((v - y0) / (y1 - y0)) * (height - m.t - m.b);
    grid.append(svg('line', { x1: m.l, x2: width - m.r, y1: y, y2: y }));
    axis.append(svg('text', { x: m.l - 4, y: y + 4, 'text-anchor': 'end' }, tickLabel(v, log, yTicks.step)));
  }
  for (const v of xTicks.values) {
    const x = m.l + ((v - x0) / (x1 - x0)) * (width - m.l - m.r);
    axis.append(svg('text', { x, y: height - m.b + 14, 'text-anchor': 'middle' }, tickLabel(v, logX, xTicks.step)));
  }
  axis.append(svg('line', { x1: m.l, x2: m.l, y1: m.t, y2: height - m.b }), svg('line', { x1: m.l, x2: width - m.r, y1: height - m.b, y2: height - m.b }));
  axis.append(svg('text', { x: (m.l + width - m.r) / 2, y: height - 4, 'text-anchor': 'middle' }, xLabel));
  axis.append(svg('text', { x: 12, y: (m.t + height - m.b) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(m.t + height - m.b) / 2})` }, yLabel));
  root.append(grid, axis);
  for (const mark of marks) {
    if (mark.x !== undefined && (!logX || mark.x > 0)) root.append(svg('line', { x1: X(mark.x), x2: X(mark.x), y1: m.t, y2: height - m.b, stroke: mark.colour || '#999', 'stroke-dasharray': '3 3' }));
  }
  for (const s of series) {
    const pts = s.points.filter(ok);
    if (!pts.length) continue;
    // A gap wider than s.maxGap (in x) is not bridged: two live points an epoch apart say nothing of what lies between.
    const d = pts.map((p, i) => `${i && !(s.maxGap && p[0] - pts[i - 1][0] > s.maxGap) ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
    root.append(svg('path', { d, fill: 'none', stroke: s.colour, 'stroke-width': s.width || 1.8, 'stroke-dasharray': s.dashed ? '5 4' : null, opacity: s.opacity ?? 1 }));
    if (s.dots) for (const p of pts) root.append(svg('circle', { cx: X(p[0]), cy: Y(p[1]), r: s.dotRadius || 2.6, fill: s.colour }));
  }
  for (const mark of marks) {
    if (mark.point) root.append(svg('circle', { cx: X(mark.point[0]), cy: Y(mark.point[1]), r: 5, fill: 'none', stroke: mark.colour, 'stroke-width': 2 }));
    if (mark.segment) root.append(svg('line', { x1: X(mark.segment[0][0]), y1: Y(mark.segment[0][1]), x2: X(mark.segment[1][0]), y2: Y(mark.segment[1][1]), stroke: mark.colour, 'stroke-width': 3 }));
  }
  return root;
}

/**
 * Round tick values for an axis from lo to hi (on a log axis, lo and hi are log10 of the values): about five ticks at
 * 1, 2, 2.5 or 5 × 10^k, or whole powers of ten; an end the caller left free moves out to the nearest tick.
 */
function niceTicks(lo, hi, log, freeLo, freeHi) {
  if (log) {
    const a = freeLo ? Math.floor(lo + 1e-9) : lo, b = freeHi ? Math.ceil(hi - 1e-9) : hi;
    const step = Math.max(1, Math.ceil((b - a) / 5));
    const values = [];
    for (let v = Math.ceil(a - 1e-9); v <= b + 1e-9; v += step) values.push(v);
    return { lo: a, hi: b === a ? a + 1 : b, values, step };
  }
  const raw = (hi - lo) / 5, power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw * 0.999);
  const a = freeLo ? Math.floor(lo / step + 1e-9) * step : lo, b = freeHi ? Math.ceil(hi / step - 1e-9) * step : hi;
  const values = [];
  for (let v = Math.ceil(a / step - 1e-9) * step; v <= b + step * 1e-9; v += step) values.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { lo: a, hi: b, values, step };
}

/** A tick's label: as many decimals as the step needs (0.25 → 2), powers of ten on log axes, exponents for the very large or small. */
function tickLabel(v, log, step) {
  if (log) {
    const p = Math.round(v);
    if (Math.abs(v - p) > 1e-9) return fmt(10 ** v, 2);
    return p >= -3 && p <= 4 ? String(10 ** p) : `10${superscript(p)}`;
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (String(step / 10 ** Math.floor(Math.log10(step) + 1e-9)).includes('.') ? 1 : 0));
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? fmt(v, 3) : v.toFixed(Math.min(decimals, 6));
}

const superscript = (n) => String(n).replace(/[-0-9]/g, (c) => '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'['-0123456789'.indexOf(c)]);

export function legend(items) {
  const box = document.createElement('div');
  box.className = 'legend';
  for (const { name, colour, dashed } of items) {
    const i = document.createElement('i');
    i.style.background = dashed ? `repeating-linear-gradient(90deg, ${colour} 0 5px, transparent 5px 8px)` : colour;
    const span = document.createElement('span');
    span.append(i, name);
    box.append(span);
  }
  return box;
}

export const palette = ['#2f6fb7', '#e0852b', '#2e8b57', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#d35400'];
