// chart.js - uPlot (vendored, web/vendor/uPlot.esm.js) as a Preact component:
// time series (x = unix seconds) and bars over named categories. uPlot sizes
// itself through the CSSOM, which the console's CSP allows (no style attribute
// is ever written in markup). The chart follows its box's width.
import { useEffect, useRef } from './hooks.module.js';
import uPlot from './uPlot.esm.js';
import { html } from './util.js';

const COLORS = ['#2454d6', '#c25b00', '#24663b', '#8a3ffc', '#b3261e', '#0b7285'];

// series: [{label, values: [...], color?, fmt?: (v) => text}]
// x: unix seconds (time), or category names (bars: one series).
export function Chart({ id, title, x, series, bars = false, yFmt, height = 220, yRange }) {
  const box = useRef(null);
  const plot = useRef(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = Math.max(260, el.clientWidth || 600);
    const fmt = yFmt || ((v) => (v === null || v === undefined ? '–' : String(Math.round(v * 100) / 100)));
    const opts = {
      width,
      height,
      scales: {
        x: bars ? { time: false, range: [-0.5, x.length - 0.5] } : { time: true },
        y: yRange ? { range: yRange } : { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        bars
          ? { values: (u, splits) => splits.map((i) => (Number.isInteger(i) && x[i] !== undefined ? x[i] : '')), splits: () => x.map((_, i) => i), grid: { show: false } }
          : {},
        { values: (u, splits) => splits.map((v) => fmt(v)), size: 64 },
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        bars ? { label: '', value: (u, i) => (i === null || x[i] === undefined ? '' : x[i]) } : { label: 'Date' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color || COLORS[i % COLORS.length],
          fill: bars ? `${s.color || COLORS[i % COLORS.length]}cc` : undefined,
          width: bars ? 1 : 2,
          spanGaps: true,
          paths: bars ? uPlot.paths.bars({ size: [0.6, 80] }) : undefined,
          points: bars ? { show: false } : { show: true, size: 5 },
          value: (u, v) => (s.fmt || fmt)(v),
        })),
      ],
    };
    const data = [bars ? x.map((_, i) => i) : x, ...series.map((s) => s.values)];
    plot.current = new uPlot(opts, data, el);
    let ro = null;
    if (typeof ResizeObserver !== 'undefined') {
      ro = new ResizeObserver(() => {
        const w = Math.max(260, el.clientWidth);
        if (plot.current && Math.abs(plot.current.width - w) > 4) plot.current.setSize({ width: w, height });
      });
      ro.observe(el);
    }
    return () => {
      if (ro) ro.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [JSON.stringify([x, series.map((s) => [s.label, s.values]), bars, height])]);

  const empty = !x.length || series.every((s) => s.values.every((v) => v === null || v === undefined || v === 0));
  return html`<figure class="chart" id=${id} aria-labelledby=${`${id}-t`}>
    <figcaption id=${`${id}-t`}>${title}${empty ? html` <span class="muted">(no data in this period)</span>` : ''}</figcaption>
    <div class="chart-box" ref=${box} role="img" aria-label=${`${title}: ${series.map((s) => s.label).join(', ')}`}></div>
  </figure>`;
}
