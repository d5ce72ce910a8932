/** What a gate run measures (also the baseline file's content) and its tolerances. */
export const GATE_VERSION = 1;

export interface GateTolerances {
  /** Relative slowdown of a throughput ratio that warns (default 0.10). */
  warn: number;
  /** Relative slowdown that fails (default 0.25). */
  fail: number;
}

export const DEFAULT_TOLERANCES: GateTolerances = { warn: 0.1, fail: 0.25 };

/** The measured figures of one gate run (also the baseline file's content). */
export interface GateMeasurement {
  version: number;
  /** Where and when it was measured (informational; never compared). */
  machine: { cpu: string; cores: number; node: string; generatedAt: string };
  /** The suite's parameters (compared: a different suite is not comparable). */
  suite: Record<string, unknown>;
  tolerances: GateTolerances;
  /** Figures that must match exactly. */
  exact: Record<string, number | string | boolean>;
  /** Throughputs as ratios to the in-run XOR reference (higher is faster). */
  ratios: Record<string, number>;
  /** Per-round ratios behind each median (informational). */
  samples?: Record<string, number[]>;
}
