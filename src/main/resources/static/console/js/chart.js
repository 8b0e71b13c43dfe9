// Line and bar charts on uPlot (a WebJar, served by this jar). Series share one x axis.
import uPlot from '/webjars/uplot/1.6.30/dist/uPlot.esm.js';

const COLOURS = ['#3552d8', '#d8572a', '#1e7d3a', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];

/**
 * A chart of series over x in element; answers {update(x, seriesValues)} to redraw with new points.
 * @param names the series' labels
 */
export function lineChart(element, { title, xLabel, yLabel, names, bars = false }) {
  const width = () => Math.max(260, element.clientWidth || 480);
  const options = {
    title, width: width(), height: 240,
    scales: { x: { time: false } },
    // Epochs and codes are whole numbers: no ticks between them.
    axes: [{ label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: yLabel, size: 64 }],
    series: [{ label: xLabel }, ...names.map((name, i) => ({
      label: name, stroke: COLOURS[i % COLOURS.length], width: 2,
      fill: bars ? COLOURS[i % COLOURS.length] + '88' : undefined,
      paths: bars ? uPlot.paths.bars({ size: [0.9, 40] }) : undefined,
      points: { show: !bars },
    }))],
  };
  const plot = new uPlot(options, [[], ...names.map(() => [])], element);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
  resize.observe(element);
  return {
    update: (x, series) => {
      plot.setData([x, ...series]);
      element.dataset.points = String(x.length); // what the browser tests read: a canvas shows no numbers
    },
    points: () => plot.data[0].length,
    destroy: () => { resize.disconnect(); plot.destroy(); },
  };
}
