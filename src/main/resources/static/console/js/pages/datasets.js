// Datasets: the list, an upload with a progress bar, a preview grid of the first 64 images, the Fashion-MNIST import.
import * as api from '../api.js';
import { attempt, dropZone, field, fill, h } from '../ui.js';

export default function datasets(main, [selected]) {
  const urls = new Set();
  const list = h('ul', { class: 'list', 'aria-label': 'Datasets' });
  const preview = h('section', { class: 'panel', 'aria-live': 'polite' });
  const name = h('input', { name: 'name', placeholder: 'optional: lower-case letters, digits, . _ -', spellcheck: 'false' });
  const bar = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const zone = dropZone('Drop an IDX file (.gz too), a zip of PNG/JPEG images or a .npy array here, or press to choose one',
    ([file]) => upload(file), { accept: '.gz,.idx,.zip,.npy,.idx3-ubyte,application/zip,application/gzip,application/octet-stream', multiple: false });
  const importButton = h('button', { class: 'secondary', onclick: (e) => attempt(async () => {
    const created = await api.json('/v1/datasets/fashion-mnist', { method: 'POST' });
    status.textContent = `Fashion-MNIST: ${created.map((d) => `${d.id} (${d.count.toLocaleString()} images)`).join(', ')}`;
    await refresh();
  }, e.currentTarget) }, 'Import Fashion-MNIST');

  main.append(h('h1', {}, 'Datasets'), h('div', { class: 'grid2' },
    h('div', {}, h('section', { class: 'panel' }, h('h2', {}, 'All datasets'), list),
      h('section', { class: 'panel', style: 'margin-top: 16px' }, h('h2', {}, 'Add a dataset'), field('Name', name, { wide: true }),
        h('div', { style: 'margin: 10px 0' }, zone), bar, status, importButton)),
    preview));

  async function refresh() {
    await attempt(async () => {
      const all = await api.json('/v1/datasets');
      fill(list, all.length ? all.map((d) => h('li', {}, h('button', {
        'aria-pressed': String((d.name || d.id) === selected || d.id === selected),
        onclick: () => { location.hash = `#/datasets/${encodeURIComponent(d.name || d.id)}`; },
      }, h('span', {}, d.name || d.id), h('span', { class: 'muted' }, `${d.count.toLocaleString()} · ${d.channels}x${d.height}x${d.width}`))))
        : h('li', { class: 'muted' }, 'No datasets yet: import Fashion-MNIST or upload one.'));
      const shown = all.find((d) => d.name === selected || d.id === selected) || all[0];
      if (shown) await show(shown);
      else fill(preview, h('p', { class: 'muted' }, 'No dataset to preview.'));
    });
  }

  async function show(dataset) {
    const grid = await api.blob(`/v1/datasets/${encodeURIComponent(dataset.id)}/images?from=0&count=64&columns=8`);
    const url = URL.createObjectURL(grid);
    urls.add(url);
    const remove = h('button', { class: 'danger', onclick: (e) => {
      if (!confirm(`Delete the dataset ${dataset.name || dataset.id}? Jobs that use it will fail.`)) return;
      attempt(async () => {
        await api.json(`/v1/datasets/${encodeURIComponent(dataset.id)}`, { method: 'DELETE' });
        location.hash = '#/datasets';
        await refresh();
      }, e.currentTarget);
    } }, 'Delete');
    fill(preview, h('div', { class: 'row' }, h('h2', {}, dataset.name || dataset.id), h('span', { class: 'spacer' }), remove),
      h('p', { class: 'muted' }, `${dataset.count.toLocaleString()} images, ${dataset.channels} x ${dataset.height} x ${dataset.width}, ${dataset.format}, ${dataset.dtype}; the first ${Math.min(64, dataset.count)}:`),
      h('img', { src: url, alt: `the first images of ${dataset.name || dataset.id}`, style: 'width: 100%; max-width: 520px; image-rendering: pixelated; background: #000' }));
  }

  async function upload(file) {
    await attempt(async () => {
      const body = new FormData();
      body.append('file', file);
      const query = name.value.trim() ? `?name=${encodeURIComponent(name.value.trim())}` : '';
      bar.hidden = false;
      bar.value = 0;
      status.textContent = `Uploading ${file.name}…`;
      try {
        const dataset = await api.upload(`/v1/datasets${query}`, body, (fraction) => { bar.value = fraction; });
        status.textContent = `Stored ${dataset.name || dataset.id}: ${dataset.count.toLocaleString()} images.`;
        selected = dataset.name || dataset.id;
        await refresh();
      } catch (e) {
        status.textContent = '';
        throw e;
      } finally {
        bar.hidden = true;
      }
    });
  }

  refresh();
  return { destroy: () => urls.forEach((u) => URL.revokeObjectURL(u)) };
}
