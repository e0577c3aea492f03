/**
 * The benchmark's charts, drawn as SVG with Vega-Lite (compiled and rendered in Node: no browser, no
 * canvas, no CDN). Vega is an ES module, hence the dynamic imports.
 */
export interface LatencySeries {
  name: string;
  /** Percentile label (p50, p90, ...) -> milliseconds. */
  percentiles: Record<string, number>;
}

export interface ScalePoint {
  connections: number;
  p99: number;
  max: number;
  /** Peak RSS of the largest API process. */
  rssMb: number;
}

async function render(spec: object): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
  return view.toSVG();
}

/**
 * The burst's latency percentiles, one line per system (log scale: bars would start at 0, which a log
 * scale cannot draw).
 */
export function latencyChart(title: string, series: readonly LatencySeries[]): Promise<string> {
  const order = Object.keys(series[0]?.percentiles ?? {});
  const values = series.flatMap(({ name, percentiles }) =>
    Object.entries(percentiles).map(([percentile, ms]) => ({ system: name, percentile, ms: Math.max(ms, 0.5) })),
  );
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 480,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'percentile', type: 'ordinal', sort: order, title: 'latency percentile' },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms (log scale)' },
      color: { field: 'system', type: 'nominal', title: null },
    },
  });
}

/** How the cost grows with the crowd: p99 and max latency, and peak RSS per API process, per connections. */
export function scaleChart(title: string, points: readonly ScalePoint[]): Promise<string> {
  const latency = points.flatMap(({ connections, p99, max }) => [
    { connections, measure: 'p99', ms: Math.max(p99, 0.5) },
    { connections, measure: 'max', ms: Math.max(max, 0.5) },
  ]);
  const axis = { field: 'connections', type: 'ordinal', title: 'concurrent connections' };
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    hconcat: [
      {
        width: 300,
        height: 240,
        data: { values: latency },
        mark: { type: 'line', point: true },
        encoding: {
          x: axis,
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency, ms (log scale)' },
          color: { field: 'measure', type: 'nominal', title: null },
        },
      },
      {
        width: 300,
        height: 240,
        data: { values: points.map(({ connections, rssMb }) => ({ connections, rssMb })) },
        mark: { type: 'bar' },
        encoding: {
          x: axis,
          y: { field: 'rssMb', type: 'quantitative', title: 'peak RSS of the largest API process, MB' },
        },
      },
    ],
  });
}
