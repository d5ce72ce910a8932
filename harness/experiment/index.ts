/** `pagedelta/experiment`: experiment files (parse, expand, shard) and the runner. */
export {
  type Cell,
  CELL_KINDS,
  type CellKind,
  type CellParams,
  type Experiment,
  type ExperimentSettings,
  DEFAULT_SETTINGS,
  ExperimentError,
  expandCells,
  loadExperiment,
  parseExperiment,
  parseShard,
  shardCells,
} from './experiment.js';
export { type RunOptions, type RunProgress, type RunSummary, runExperiment } from './runner.js';
