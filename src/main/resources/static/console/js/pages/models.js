// Models: every model with its family and versions; a version's manifest, training curves and codebook usage.
import * as api from '../api.js';
import { lineChart } from '../chart.js';
import { attempt, fill, fmt, h, png } from '../ui.js';

export default function models(main, [selectedName, selectedVersion]) {
  const charts = [];
  const list = h('ul', { class: 'list', 'aria-label': 'Models' });
  const detail = h('section', { class: 'panel', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading models…'));
  main.append(h('h1', {}, 'Models'), h('div', { class: 'grid2' }, h('section', { class: 'panel' }, h('h2', {}, 'All models'), list), detail));

  attempt(async () => {
    const all = await api.json('/v1/models');
    if (!all.length) {
      fill(detail, h('p', {}, 'No models yet. Train one on the ', h('a', { href: '#/jobs' }, 'Jobs'), ' page.'));
      return;
    }
    fill(list, all.map((m) => {
      const strip = h('span', { class: 'strip', 'aria-hidden': 'true' });
      thumbnails(m.name, strip);
      return h('li', {}, h('button', {
        'aria-pressed': String(m.name === (selectedName || all[0].name)),
        onclick: () => { location.hash = `#/models/${encodeURIComponent(m.name)}`; },
      }, h('span', {}, m.name), h('span', { class: 'tag ' + m.family }, m.family), strip));
    }));
    await show(selectedName || all[0].name, selectedVersion ? Number(selectedVersion) : undefined);
  });

  // A few samples of each model in the list, so the page shows at a glance what every model draws. A model that
  // cannot sample (a VQ model with no prior yet) shows none.
  async function thumbnails(name, strip) {
    try {
      const answer = await api.json(`/v1/models/${encodeURIComponent(name)}/sample`, { method: 'POST', body: { count: 6, seed: 0 } });
      fill(strip, answer.images.map((image) => h('img', { src: png(image.png), alt: '' })));
    } catch {
      strip.remove();
    }
  }

  async function show(name, version) {
    const model = await api.json(`/v1/models/${encodeURIComponent(name)}`);
    const manifest = model.versions.find((v) => v.version === version) || model.versions.at(-1);
    charts.splice(0).forEach((c) => c.destroy());
    const versions = h('div', { class: 'row', role: 'group', 'aria-label': 'Versions' }, h('span', { class: 'muted' }, 'Version'),
      model.versions.map((v) => h('a', {
        href: `#/models/${encodeURIComponent(name)}/${v.version}`,
        'aria-current': v.version === manifest.version ? 'true' : null,
        class: 'tag' + (v.version === manifest.version ? ' vqvae' : ''),
      }, String(v.version))));
    const curves = h('div', { class: 'cards' });
    const priorCurves = h('div', { class: 'cards' });
    fill(detail,
      h('div', { class: 'row' }, h('h2', {}, `${name}@${manifest.version}`), h('span', { class: 'tag ' + manifest.family }, manifest.family),
        h('span', { class: 'spacer' }),
        h('a', { href: `#/playground/${encodeURIComponent(name)}/${manifest.version}` }, 'Open in the playground'),
        h('button', { class: 'secondary', onclick: (e) => download(name, manifest.version, e.currentTarget) }, 'Download archive')),
      versions,
      summary(manifest),
      h('h3', {}, 'Training curves'), curves,
      manifest.metrics?.prior?.history?.length ? [h('h3', {}, 'Prior training curves'), priorCurves] : null,
      codebook(manifest),
      sampleQuality(manifest),
      h('details', {}, h('summary', {}, 'Manifest (JSON)'), h('pre', { class: 'mono' }, JSON.stringify(manifest, null, 2))));
    history(manifest.metrics?.history, manifest.metrics?.unit, curves);
    history(manifest.metrics?.prior?.history, manifest.metrics?.prior?.unit, priorCurves);
  }

  // Charts of a history (metrics.history, or metrics.prior.history for a prior's fit) in the manifest's unit.
  function history(epochs = [], unit = '', container) {
    if (!epochs.length) {
      container.append(h('p', { class: 'muted' }, 'This version has no per-epoch history (imported, or fitted without one).'));
      return;
    }
    if (unit) container.append(h('p', { class: 'muted wide' }, `Loss: ${unit}.`));
    // One chart per phase (a VQ-VAE-2 prior fit has "top" and "bottom"), each with the losses and then each term.
    const phases = [...new Set(epochs.map((e) => e.phase || ''))];
    for (const phase of phases) {
      const rows = epochs.filter((e) => (e.phase || '') === phase);
      const x = rows.map((_, i) => i + 1);
      const prefix = phase ? `${phase}: ` : '';
      const lossBox = h('div', { class: 'chart' });
      container.append(h('div', { class: 'panel' }, lossBox));
      const loss = lineChart(lossBox, { title: `${prefix}loss`, xLabel: 'epoch', yLabel: 'loss',
        names: ['train', 'test'] });
      loss.update(x, [rows.map((r) => r.trainLoss), rows.map((r) => r.testLoss)]);
      charts.push(loss);
      // A term equal to the loss at every epoch (a prior's nll) would only repeat its chart.
      const same = (term) => rows.every((r) => r.testTerms?.[term] === r.testLoss && (r.trainTerms?.[term] ?? r.trainLoss) === r.trainLoss);
      const terms = Object.keys(rows[0].testTerms || {}).filter((term) => !same(term));
      for (const term of terms) {
        const box = h('div', { class: 'chart' });
        container.append(h('div', { class: 'panel' }, box));
        const chart = lineChart(box, { title: `${prefix}${term}`, xLabel: 'epoch', yLabel: term, names: ['train', 'test'] });
        chart.update(x, [rows.map((r) => r.trainTerms?.[term] ?? null), rows.map((r) => r.testTerms?.[term] ?? null)]);
        charts.push(chart);
      }
    }
  }

  function codebook(manifest) {
    const usage = manifest.metrics?.codeUsage;
    if (!usage) return null;
    const levels = Array.isArray(usage) ? { codes: usage } : usage;
    const box = h('div', { class: 'cards' });
    for (const [level, counts] of Object.entries(levels)) {
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      const entropy = counts.reduce((a, c) => c > 0 ? a - (c / total) * Math.log(c / total) : a, 0);
      const chartBox = h('div', { class: 'chart' });
      box.append(h('div', { class: 'panel' }, h('p', { class: 'muted' },
        `${level}: ${counts.filter((c) => c > 0).length} of ${counts.length} codes used, perplexity ${fmt(Math.exp(entropy), 1)}`), chartBox));
      queueMicrotask(() => {
        const chart = lineChart(chartBox, { title: `Code usage on the test set (${level})`, xLabel: 'code', yLabel: 'share', names: ['share'], bars: true });
        chart.update(counts.map((_, i) => i), [counts.map((c) => c / total)]);
        charts.push(chart);
      });
    }
    return [h('h3', {}, 'Codebook usage'), box];
  }

  // The figures bin/benchmark-fid wrote into the manifest: Frechet distance to the test set, confident share and class
  // histogram per temperature (docs: BENCHMARKS.md, "Sample quality").
  function sampleQuality(manifest) {
    const q = manifest.metrics?.sampleQuality;
    if (!q?.temperatures) return null;
    const bars = (histogram) => h('span', { class: 'histogram', role: 'img',
      'aria-label': q.classes.map((c, i) => `${c} ${fmt(100 * histogram[i], 0)}%`).join(', ') },
    histogram.map((share, i) => h('span', { title: `${q.classes[i]}: ${fmt(100 * share, 1)}%`,
      style: `height: ${Math.min(100, 400 * share)}%` })));
    // Numeric order: an object puts integer-like keys ("1") before the others ("0.7").
    const rows = Object.entries(q.temperatures).sort(([a], [b]) => Number(a) - Number(b)).map(([t, row]) => h('tr', { class: Number(t) === q.bestTemperature ? 'best' : null },
      h('td', {}, t + (Number(t) === q.bestTemperature ? ' (best)' : '')), h('td', { class: 'num' }, fmt(row.fid, 2)),
      h('td', { class: 'num' }, fmt(100 * row.confidentShare, 1) + '%'), h('td', {}, bars(row.classHistogram))));
    rows.push(h('tr', { class: 'muted' }, h('td', {}, 'test images'), h('td', { class: 'num' }, `floor ${fmt(q.floor, 2)}`),
      h('td', { class: 'num' }, fmt(100 * q.testImages.confidentShare, 1) + '%'), h('td', {}, bars(q.testImages.classHistogram))));
    return [h('h3', {}, 'Sample quality'),
      h('p', { class: 'muted' }, `${q.samples.toLocaleString()} samples per temperature against the 10,000 test images, measured ${q.measuredAt} `
        + `on the features of a Fashion-MNIST classifier (test accuracy ${fmt(100 * q.classifierTestAccuracy, 1)}%). `
        + `Lower distance is better; the floor is 10,000 training images. Confident: classified with probability above ${q.confidentAbove}. `
        + `Class bars: ${q.classes.join(', ')}.`),
      h('table', { class: 'quality' }, h('thead', {}, h('tr', {}, h('th', {}, 'Temperature'), h('th', {}, 'Fréchet distance'),
        h('th', {}, 'Confident'), h('th', {}, 'Classes'))), h('tbody', {}, rows))];
  }

  function summary(manifest) {
    const m = manifest.metrics || {};
    const rows = [];
    const add = (label, value) => value !== undefined && value !== null && rows.push(h('tr', {}, h('th', {}, label), h('td', {}, value)));
    add('Image shape', `${manifest.inputShape.channels} x ${manifest.inputShape.height} x ${manifest.inputShape.width}`);
    add('Latent', latentText(manifest.latent));
    add('Trained on', manifest.training?.dataset && `${manifest.training.dataset} (${manifest.training.trainImages ?? 'all'} images, ${manifest.training.epochs ?? '?'} epochs)`);
    for (const [name, value] of Object.entries(m)) {
      if (typeof value === 'number') add(name, fmt(value, Number.isInteger(value) ? 0 : Math.abs(value) >= 100 ? 1 : 4) + (/loss|elbo|nll/i.test(name) && m.unit ? ` ${m.unit}` : ''));
    }
    for (const [name, value] of Object.entries(m)) {
      if (value && typeof value === 'object' && !Array.isArray(value) && name !== 'codeUsage' && name !== 'sampleQuality') {
        add(name, Object.entries(value).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${fmt(v, Number.isInteger(v) ? 0 : 3)}`).join(', ') || null);
      }
    }
    add('Created', new Date(manifest.createdAt).toLocaleString());
    return h('table', {}, h('tbody', {}, rows));
  }

  async function download(name, version, button) {
    await attempt(async () => {
      const archive = await api.blob(`/v1/models/${encodeURIComponent(name)}/versions/${version}/archive`);
      const link = h('a', { href: URL.createObjectURL(archive), download: `${name}-${version}.zip` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    }, button);
  }

  return { destroy: () => charts.forEach((c) => c.destroy()) };
}

export function latentText(latent) {
  if (!latent) return '–';
  if (latent.type === 'gaussian') return `Gaussian, ${latent.dimension} dimensions`;
  const codes = (level) => `${level.grid?.join(' x ') ?? '?'} codes of ${level.codes} (dimension ${level.codeDim})`;
  const prior = latent.prior ? `; prior: ${latent.prior}` : '; no prior yet';
  if (latent.levels) return Object.entries(latent.levels).map(([name, level]) => `${name} ${codes(level)}`).join(', ') + prior;
  if (latent.codes && latent.grid) return codes(latent) + prior;
  if (latent.channels && latent.grid) return `Gaussian, ${latent.channels} x ${latent.grid.join(' x ')}`;
  return Object.entries(latent).filter(([k]) => k !== 'type').map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ')
    || latent.type;
}
