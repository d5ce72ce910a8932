/** The kinds of plot (kept apart from plots.ts so the CLI can list them without loading vega). */
export const PLOT_KINDS = ['downtime-vs-cache-size', 'miss-rate-vs-cache-size', 'time-vs-bandwidth', 'ratio-vs-throughput', 'timeline'] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

export const PLOT_DESCRIPTIONS: Record<PlotKind, string> = {
  'downtime-vs-cache-size': 'Downtime vs cache size, one line per cache policy and one for no compression (codec none) if the rows have it',
  'miss-rate-vs-cache-size': 'Cache miss rate vs cache size, one line per policy (migration or cache rows)',
  'time-vs-bandwidth': 'Total migration time vs bandwidth, one line per codec (migration rows)',
  'ratio-vs-throughput': 'Compression ratio vs encode throughput, per codec and scenario (codec rows)',
  timeline: 'Per-round timeline of one migration: bytes sent and pages dirty at each sync',
};
