/** `pagedelta/results`: result rows, metric tables, table rendering, plots (optional packages) and reports. */
export { type Column, type Row, type Table, type TableFormat, renderTable, TABLE_FORMATS } from './table.js';
export { type ReadResults, type ResultRow, mergeResults, parseResults, readResults, ResultsAppender } from './rows.js';
export { type Aggregate, type TableOptions, METRICS, metricNames, metricTable } from './views.js';
export { type Figure, type PlotKind, PLOT_KINDS, PLOTTING_MISSING, buildFigure, renderSvg, svgToPng, writeFigures } from './plots.js';
export { type Report, buildReport } from './report.js';
