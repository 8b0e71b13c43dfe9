// Jobs: a form generated from the JobRequest schema of /v3/api-docs, the history, and one job followed live over its
// Server-Sent Events (progress bar with ETA, loss chart gaining a point per epoch), with cancel.
import * as api from '../api.js';
import { lineChart } from '../chart.js';
import { attempt, duration, field, fill, fmt, h } from '../ui.js';

const TYPES = ['train', 'fit-prior', 'fit-codebook', 'sample'];
const FAMILIES = ['vae', 'vqvae', 'vqvae2'];
// Which request fields each type reads (the schema's descriptions say the same in words).
const FIELDS = {
  train: ['model', 'family', 'dataset', 'testDataset', 'trainImages', 'testImages', 'epochs', 'batchSize', 'learningRate', 'seed', 'architecture'],
  'fit-prior': ['model', 'dataset', 'testDataset', 'trainImages', 'testImages', 'epochs', 'batchSize', 'learningRate', 'seed', 'architecture'],
  'fit-codebook': ['model', 'dataset', 'testDataset', 'trainImages', 'testImages', 'seed'],
  sample: ['model', 'seed', 'sample'],
};
const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export default function jobs(main, [jobId]) {
  const cleanups = new Set();
  const history = h('ul', { class: 'list', 'aria-label': 'Jobs, newest first' });
  const detail = h('section', { class: 'panel', 'aria-live': 'polite' });
  const formPanel = h('section', { class: 'panel' }, h('h2', {}, 'New job'), h('p', { class: 'muted' }, 'Loading the request schema…'));
  main.append(h('h1', {}, 'Jobs'), h('div', { class: 'grid2' },
    h('section', { class: 'panel' }, h('div', { class: 'row' }, h('h2', {}, 'History'), h('span', { class: 'spacer' }),
      h('button', { class: 'quiet', onclick: () => refresh() }, 'Refresh')), history),
    h('div', { class: 'cards', style: 'grid-template-columns: 1fr' }, detail, formPanel)));

  async function refresh() {
    await attempt(async () => {
      const all = await api.json('/v1/jobs');
      all.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      fill(history, all.length ? all.map((job) => h('li', {}, h('button', {
        'aria-pressed': String(job.id === jobId), onclick: () => { location.hash = `#/jobs/${job.id}`; },
      }, h('span', {}, `${job.type} · ${job.model}`, h('br'), h('span', { class: 'muted' }, job.id)), h('span', { class: 'tag ' + job.state }, job.state))))
        : h('li', { class: 'muted' }, 'No jobs yet.'));
    });
  }

  refresh();
  buildForm();
  if (jobId) follow(jobId);
  else fill(detail, h('p', { class: 'muted' }, 'Submit a job below, or pick one from the history to follow it.'));

  async function buildForm() {
    await attempt(async () => {
      const docs = await api.json('/v3/api-docs');
      const schema = docs.components.schemas.JobRequest;
      const datasets = await api.json('/v1/datasets').catch(() => []);
      const models = await api.json('/v1/models').catch(() => []);
      const type = h('select', { name: 'type' }, (schema.properties.type.enum || TYPES).map((t) => h('option', { value: t }, t)));
      const inputs = {};
      const fields = h('div', { class: 'controls' });
      const submit = h('button', { type: 'submit' }, 'Submit');
      const form = h('form', { onsubmit: (e) => { e.preventDefault(); send(submit); } },
        h('div', { class: 'controls' }, field('Type', type)), fields, submit);
      fill(formPanel, h('h2', {}, 'New job'), h('p', { class: 'muted' }, 'Fields and limits come from the API\'s JobRequest schema; empty fields take the service\'s defaults.'), form);

      function render() {
        fill(fields);
        for (const name of FIELDS[type.value] || Object.keys(schema.properties)) {
          const property = resolve(docs, schema.properties[name]);
          if (!property) continue;
          inputs[name] = inputFor(name, property, { datasets, models, type: type.value, required: (schema.required || []).includes(name) });
          fields.append(field(label(name, property), inputs[name], { wide: name === 'architecture' || name === 'sample', hint: property.description }));
        }
      }
      type.addEventListener('change', render);
      render();

      async function send(button) {
        await attempt(async () => {
          const body = { type: type.value };
          for (const name of FIELDS[type.value]) {
            const value = read(inputs[name]);
            if (value !== undefined) body[name] = value;
          }
          const job = await api.json('/v1/jobs', { method: 'POST', body });
          location.hash = `#/jobs/${job.id}`;
        }, button);
      }
    });
  }

  function follow(id) {
    const controller = new AbortController();
    cleanups.add(() => controller.abort());
    const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Job progress' });
    const status = h('p', { class: 'muted' });
    const chartBox = h('div', { class: 'chart' });
    const info = h('div');
    const cancel = h('button', { class: 'danger', onclick: (e) => attempt(async () => {
      const job = await api.json(`/v1/jobs/${id}`, { method: 'DELETE' });
      status.textContent = job.cancelRequested ? 'Cancel requested: the job stops at its next step.' : `State: ${job.state}`;
    }, e.currentTarget) }, 'Cancel');
    fill(detail, h('div', { class: 'row' }, h('h2', {}, `Job ${id}`), h('span', { class: 'spacer' }), cancel), bar, status, chartBox, info);
    const chart = lineChart(chartBox, { title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'loss', names: ['train', 'test'] });
    cleanups.add(() => chart.destroy());
    const points = { x: [], train: [], test: [] };
    const plot = (epochs) => {
      points.x = epochs.map((_, i) => i + 1);
      points.train = epochs.map((e) => e.trainLoss);
      points.test = epochs.map((e) => e.testLoss);
      chart.update(points.x, [points.train, points.test]);
    };

    attempt(async () => {
      const job = await api.json(`/v1/jobs/${id}`);
      show(job);
      plot(job.progress?.history || []);
      if (FINISHED.includes(job.state)) return;
      await api.events(`/v1/jobs/${id}/events`, (name, data) => {
        if (name === 'epoch') {
          points.x.push(points.x.length + 1);
          points.train.push(data.trainLoss);
          points.test.push(data.testLoss);
          chart.update(points.x, [points.train, points.test]);
        } else if (name === 'progress') {
          progress(data);
        } else if (name === 'state') {
          show(data);
          if (FINISHED.includes(data.state)) {
            refresh();
            api.json(`/v1/jobs/${id}`).then(show).catch(() => {});
          }
        }
      }, { signal: controller.signal });
    });

    function progress(p) {
      if (!p) return;
      bar.value = p.fraction ?? 0;
      status.textContent = `${p.phase ? p.phase + ': ' : ''}${p.unit || 'epoch'} ${p.epoch ?? 0} of ${p.epochs ?? '?'}` +
        (p.stepsPerEpoch ? `, step ${p.step} of ${p.stepsPerEpoch}` : '') +
        (p.lastLoss != null ? ` · loss ${fmt(p.lastLoss, 3)}` : '') +
        (p.imagesPerSecond ? ` · ${fmt(p.imagesPerSecond, 0)} images/s` : '') +
        (p.etaSeconds != null ? ` · ETA ${duration(p.etaSeconds)}` : '');
    }

    function show(job) {
      if (!job || !job.id) return;
      cancel.disabled = FINISHED.includes(job.state);
      if (job.progress) progress(job.progress);
      if (job.state === 'SUCCEEDED') bar.value = 1;
      fill(info, h('table', {}, h('tbody', {},
        row('State', h('span', { class: 'tag ' + job.state }, job.state)),
        row('Model', job.resultVersion ? h('a', { href: `#/models/${encodeURIComponent(job.model)}/${job.resultVersion}` }, `${job.model}@${job.resultVersion}`) : job.model),
        job.error ? row('Error', h('span', { class: 'error' }, job.error)) : null,
        row('Attempts', job.attempts),
        row('Created', job.createdAt && new Date(job.createdAt).toLocaleString()),
        job.finishedAt ? row('Finished', new Date(job.finishedAt).toLocaleString()) : null,
        job.type === 'sample' && job.state === 'SUCCEEDED' ? row('Result', resultLink(job.id)) : null)),
      h('details', {}, h('summary', {}, 'Request (JSON)'), h('pre', { class: 'mono' }, JSON.stringify(job.request, null, 2))));
    }
  }

  function resultLink(id) {
    const link = h('button', { class: 'secondary', onclick: (e) => attempt(async () => {
      const image = await api.blob(`/v1/jobs/${id}/result`);
      link.replaceWith(h('img', { src: URL.createObjectURL(image), alt: 'the sample grid', style: 'max-width: 100%; image-rendering: pixelated' }));
    }, e.currentTarget) }, 'Show the sample grid');
    return link;
  }

  return { destroy: () => cleanups.forEach((c) => c()) };
}

const row = (label, value) => h('tr', {}, h('th', {}, label), h('td', {}, value));

function resolve(docs, property) {
  if (property?.$ref) return docs.components.schemas[property.$ref.split('/').at(-1)];
  return property;
}

function label(name, property) {
  const words = name.replace(/([A-Z])/g, ' $1').toLowerCase();
  const { minimum: min, maximum: max } = property;
  const range = min !== undefined && max !== undefined ? ` (${min}–${max})` : max !== undefined ? ` (at most ${max})`
    : min !== undefined ? ` (at least ${min})` : '';
  return words[0].toUpperCase() + words.slice(1) + range;
}

function inputFor(name, property, { datasets, models, type, required }) {
  if (name === 'family') {
    return h('select', { name }, (property.enum || FAMILIES).map((f) => h('option', { value: f, selected: f === property.default }, f)));
  }
  if (name === 'dataset' || name === 'testDataset') {
    return h('select', { name }, name === 'testDataset' ? h('option', { value: '' }, '(the training dataset)') : null,
      datasets.map((d) => h('option', { value: d.name || d.id, selected: (d.name || d.id) === (name === 'dataset' ? 'fashion-mnist-train' : 'fashion-mnist-test') },
        `${d.name || d.id} (${d.count} images, ${d.height}x${d.width})`)));
  }
  if (name === 'model' && type !== 'train') {
    const list = h('datalist', { id: 'models-list' }, models.map((m) => h('option', { value: m.name })));
    const input = h('input', { name, list: 'models-list', required, placeholder: 'name or name@version', value: models[0]?.name || '' });
    input.after(list);
    queueMicrotask(() => input.parentElement?.append(list));
    return input;
  }
  if (property.type === 'object' || property.properties) {
    const example = property.example ?? (property.properties ? {} : undefined);
    return h('textarea', { name, spellcheck: 'false', placeholder: '{} takes every default',
      value: name === 'sample' ? JSON.stringify(example ?? {}, null, 1) : '' , dataset: { json: 'true' } });
  }
  if (property.type === 'integer' || property.type === 'number') {
    return h('input', { type: 'number', name, min: property.minimum, max: property.maximum, required,
      step: property.type === 'integer' ? 1 : 'any', placeholder: property.default !== undefined ? `default ${property.default}` : 'default',
      value: property.default ?? '' });
  }
  if (property.enum) return h('select', { name }, property.enum.map((v) => h('option', { value: v, selected: v === property.default }, v)));
  return h('input', { name, required, value: property.default ?? (name === 'model' ? 'my-model' : ''), spellcheck: 'false' });
}

function read(input) {
  if (!input) return undefined;
  const text = input.value.trim();
  if (text === '') return undefined;
  if (input.dataset.json) {
    try { return JSON.parse(text); } catch (e) { throw new Error(`${input.name} is not valid JSON: ${e.message}`); }
  }
  return input.type === 'number' ? Number(text) : text;
}
