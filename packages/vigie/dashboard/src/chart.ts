// Duration and matches per cycle, oldest to newest, drawn by uPlot.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';
import type { RunRow } from './types.js';

/** The chart's columns from runs (newest first, as the API lists them). */
export function chartData(runs: readonly RunRow[]): uPlot.AlignedData {
  const done = runs.filter((r) => r.endedAt !== null).reverse();
  // x is the cycle's rank (1 = oldest shown): evenly spaced, readable with one cycle or fifty.
  return [done.map((_, i) => i + 1), done.map((r) => (r.endedAt! - r.startedAt) / 1000), done.map((r) => r.matches)];
}

export function CycleChart({ runs }: { runs: readonly RunRow[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = chartData(runs);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(260, el.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 220,
        series: [
          { label: 'Cycle' },
          { label: 'Duration (s)', stroke: '#2563eb', width: 2, points: { show: true } },
          { label: 'Matches', stroke: '#d97706', width: 2, dash: [6, 4], scale: 'n', points: { show: true } },
        ],
        axes: [{ label: 'cycle (oldest → newest)', incrs: [1, 2, 5, 10, 20, 50] }, { label: 'seconds' }, { side: 1, scale: 'n', label: 'matches', grid: { show: false } }],
        scales: { x: { time: false }, n: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
      },
      data,
      el,
    );
    plot.current = chart;
    const onResize = () => chart.setSize({ width: width(), height: 220 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      chart.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => plot.current?.setData(data), [runs]);
  return html`<figure class="chart">
    <div ref=${box} role="img" aria-label=${`Duration and matches of the last ${data[0].length} cycles`}></div>
    <figcaption>Duration (solid) and matches (dashed) per cycle</figcaption>
  </figure>`;
}
