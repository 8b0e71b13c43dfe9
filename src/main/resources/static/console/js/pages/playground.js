// Playground for one version: sample, look at a sample's latent, reconstruct, interpolate, score and complete.
import * as api from '../api.js';
import { attempt, dropZone, field, fileToBase64, fill, fmt, h, number, png, valueOf } from '../ui.js';
import { latentText } from './models.js';

export default function playground(main, [name, version]) {
  const aborts = new Set();
  const picker = h('div', { class: 'row' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading models…'));
  main.append(h('h1', {}, 'Playground'), h('section', { class: 'panel' }, picker), body);

  attempt(async () => {
    const all = await api.json('/v1/models');
    if (!all.length) {
      fill(body, h('p', {}, 'No models yet. Train one on the ', h('a', { href: '#/jobs' }, 'Jobs'), ' page.'));
      return;
    }
    const chosen = all.find((m) => m.name === name) || all[0];
    const modelSelect = h('select', { onchange: () => { location.hash = `#/playground/${encodeURIComponent(modelSelect.value)}`; } },
      all.map((m) => h('option', { value: m.name, selected: m.name === chosen.name }, `${m.name} (${m.family})`)));
    const detail = await api.json(`/v1/models/${encodeURIComponent(chosen.name)}`);
    const manifest = detail.versions.find((v) => v.version === Number(version)) || detail.versions.at(-1);
    const versionSelect = h('select', {
      onchange: () => { location.hash = `#/playground/${encodeURIComponent(chosen.name)}/${versionSelect.value}`; },
    }, detail.versions.map((v) => h('option', { value: v.version, selected: v.version === manifest.version }, `${v.version}`)));
    fill(picker, field('Model', modelSelect), field('Version', versionSelect),
      h('span', { class: 'muted' }, `${manifest.family} · ${latentText(manifest.latent)} · images ${manifest.inputShape.channels}x${manifest.inputShape.height}x${manifest.inputShape.width}`));
    fill(body, h('div', { class: 'cards' }, ...sections(`${manifest.name}`, manifest)));
  });

  function request(path, body) {
    const controller = new AbortController();
    aborts.add(controller);
    return api.json(path, { method: 'POST', body, signal: controller.signal }).finally(() => aborts.delete(controller));
  }

  function sections(model, manifest) {
    const base = `/v1/models/${encodeURIComponent(model)}`;
    const ref = { base, version: manifest.version, family: manifest.family, manifest };
    const selected = [];
    const sample = sampleSection(ref, selected);
    return [sample.panel, reconstructSection(ref), interpolateSection(ref, selected, sample), scoreSection(ref), completeSection(ref)];
  }

  // name@version: the playground keeps to the version chosen above, even when a newer one is published meanwhile.
  const path = (ref, operation) => `${ref.base}@${ref.version}/${operation}`;

  function sampleSection(ref, selected) {
    const quantised = ref.family !== 'vae' && ref.manifest.latent?.type !== 'gaussian';
    const count = number(16, { min: 1, max: 256 });
    const seed = number(1, { min: 0 });
    const temperature = number(1, { min: 0.05, max: 10, step: 0.05 });
    const topK = number('', { min: 1 });
    const top = number('', { min: 0.05, max: 10, step: 0.05 });
    const bottom = number('', { min: 0.05, max: 10, step: 0.05 });
    const tiles = h('div', { class: 'tiles', role: 'group', 'aria-label': 'Samples' });
    const info = h('div', { 'aria-live': 'polite' });
    const go = h('button', { type: 'submit' }, 'Sample');
    const reroll = h('button', { type: 'button', class: 'secondary', onclick: () => { seed.value = Math.floor(Math.random() * 1e9); run(reroll); } }, 'Re-roll');
    const form = h('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); run(go); } },
      field('Count', count), field('Seed', seed), field('Temperature', temperature),
      quantised ? field('topK', topK, { hint: 'empty: all codes' }) : null,
      ref.family === 'vqvae2' ? [field('Top temperature', top), field('Bottom temperature', bottom)] : null, go, reroll);
    const state = { last: null };

    async function run(button) {
      await attempt(async () => {
        const temperatures = {};
        if (valueOf(top) !== undefined) temperatures.top = valueOf(top);
        if (valueOf(bottom) !== undefined) temperatures.bottom = valueOf(bottom);
        const body = ({ count: valueOf(count), seed: valueOf(seed), temperature: valueOf(temperature), topK: valueOf(topK),
          temperatures: Object.keys(temperatures).length ? temperatures : undefined });
        // While a prior draws, the preview below shows the new samples: the old grid fades out so it is not taken for them.
        tiles.classList.toggle('stale', quantised);
        const answer = await (quantised ? streamed(body) : request(path(ref, 'sample'), body)).finally(() => tiles.classList.remove('stale'));
        if (!answer) return;
        state.last = answer;
        selected.splice(0);
        fill(info, h('p', { class: 'muted' }, `seed ${answer.seed} · click a sample to see its ${quantised ? 'codes' : 'latent'}; select two to interpolate`));
        fill(tiles, answer.images.map((image, i) => h('button', {
          type: 'button', 'aria-pressed': 'false', 'aria-label': `Sample ${i + 1}`, dataset: { index: i },
          onclick: (e) => choose(e.currentTarget, i),
        }, h('img', { src: png(image.png), alt: `sample ${i + 1}` }))));
      }, button);
    }

    // A prior draws code by code: stream its progress and a preview every row, and let the user stop it (closing
    // the stream stops the sampling on the server too).
    async function streamed(body) {
      const controller = new AbortController();
      aborts.add(controller);
      const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Sampling progress' });
      const preview = h('img', { alt: 'preview of the samples so far', class: 'preview' });
      const stop = h('button', { type: 'button', class: 'danger', onclick: () => controller.abort() }, 'Stop');
      const note = h('span', { class: 'muted' }, 'queued…');
      fill(info, h('div', { class: 'row' }, bar, note, stop), preview);
      let answer = null;
      try {
        await api.events(path(ref, 'sample'), (name, data) => {
          if (name === 'progress') {
            bar.value = data.fraction;
            note.textContent = `${data.level}: position ${data.position} of ${data.positions} · ${(data.elapsedMs / 1000).toFixed(1)} s`;
          } else if (name === 'preview') {
            preview.src = png(data.png);
          } else if (name === 'result') {
            answer = data;
          } else if (name === 'job') {
            fill(info, h('p', {}, `More samples than a request draws: they come from job `,
              h('a', { href: `#/jobs/${data.id}` }, data.id), '.'));
          } else if (name === 'error') {
            throw new api.ApiError(data.status || 500, data);
          }
        }, { method: 'POST', body: { ...body, previewEvery: 1 }, signal: controller.signal });
      } catch (e) {
        if (e.name === 'AbortError') {
          fill(info, h('p', { class: 'muted' }, 'Stopped: the service stopped drawing these samples.'));
          return null;
        }
        throw e;
      } finally {
        aborts.delete(controller);
      }
      return answer;
    }

    function choose(tile, i) {
      const at = selected.indexOf(i);
      if (at >= 0) selected.splice(at, 1);
      else {
        selected.push(i);
        if (selected.length > 2) selected.shift();
      }
      for (const t of tiles.children) t.setAttribute('aria-pressed', String(selected.includes(Number(t.dataset.index))));
      fill(info, latentView(state.last, i));
    }

    const panel = h('section', { class: 'panel', 'aria-labelledby': 'h-sample' }, h('h2', { id: 'h-sample' }, 'Sample'), form, tiles, info);
    queueMicrotask(() => run(go));
    return { panel, state };
  }

  function latentView(answer, i) {
    const title = h('h3', {}, `Sample ${i + 1}`);
    if (answer.latents) {
      const z = answer.latents[i];
      return [title, h('div', { style: 'overflow-x: auto' }, h('table', {}, h('tbody', {},
        h('tr', {}, z.map((_, d) => h('th', { class: 'num' }, `z${d}`))),
        h('tr', {}, z.map((v) => h('td', { class: 'num' }, fmt(v, 2)))))))];
    }
    const codes = answer.codes;
    const grids = Array.isArray(codes) ? { codes: codes[i] } : Object.fromEntries(Object.entries(codes).map(([k, v]) => [k, v[i]]));
    return [title, Object.entries(grids).map(([level, grid]) => [h('p', { class: 'muted' }, `${level}: ${grid.length} x ${grid[0].length} codes`),
      h('table', { class: 'codes' }, h('tbody', {}, grid.map((row) => h('tr', {}, row.map((c) => h('td', {}, c))))))])];
  }

  function reconstructSection(ref) {
    const out = h('div', { class: 'pairs', 'aria-live': 'polite' });
    const zone = dropZone('Drop PNG or JPEG images here, or press to choose files', (files) => attempt(async () => {
      const images = await Promise.all(files.map(fileToBase64));
      const answer = await request(path(ref, 'reconstruct'), { images, seed: 1 });
      fill(out, answer.reconstructions.map((r, i) => h('figure', { class: 'pair' },
        h('img', { src: png(images[i]), alt: `original ${files[i].name}` }),
        h('img', { src: png(r.png), alt: `reconstruction of ${files[i].name}` }),
        h('figcaption', {}, `${files[i].name}: MSE ${fmt(r.mse, 4)}`, r.negativeElbo != null ? ` · −ELBO ${fmt(r.negativeElbo, 1)} nats` : ''))));
    }));
    return h('section', { class: 'panel', 'aria-labelledby': 'h-rec' }, h('h2', { id: 'h-rec' }, 'Reconstruct'),
      h('p', { class: 'muted' }, 'Originals on the left, reconstructions on the right.'), zone, out);
  }

  function interpolateSection(ref, selected, sample) {
    const steps = number(8, { min: 2, max: 64 });
    const method = h('select', {}, h('option', { value: 'lerp' }, 'lerp (straight line)'),
      ref.family === 'vae' || ref.manifest.latent?.type === 'gaussian' ? h('option', { value: 'slerp' }, 'slerp (great circle)') : null);
    const strip = h('div', { class: 'strip', 'aria-live': 'polite' });
    const note = h('p', { class: 'muted' });
    let uploaded = [];
    const zone = dropZone('…or drop two images here', async (files) => {
      uploaded = await Promise.all(files.slice(0, 2).map(fileToBase64));
      note.textContent = uploaded.length === 2 ? 'Two images chosen.' : 'Choose two images.';
    });
    const fromSamples = h('button', { type: 'button', onclick: (e) => run(e.currentTarget, 'samples') }, 'Between the two selected samples');
    const fromImages = h('button', { type: 'button', class: 'secondary', onclick: (e) => run(e.currentTarget, 'images') }, 'Between the two images');

    async function run(button, source) {
      await attempt(async () => {
        const body = { steps: valueOf(steps), method: method.value };
        if (source === 'samples') {
          const last = sample.state.last;
          if (!last || selected.length !== 2) throw new Error('Select two samples in the grid first.');
          if (last.latents) body.latents = selected.map((i) => last.latents[i]);
          else body.images = selected.map((i) => last.images[i].png);
        } else {
          if (uploaded.length !== 2) throw new Error('Drop two images first.');
          body.images = uploaded;
        }
        const answer = await request(path(ref, 'interpolate'), body);
        note.textContent = `${answer.steps} steps, ${answer.method}`;
        fill(strip, answer.images.map((image, i) => h('img', { src: png(image.png), alt: `step ${i + 1}` })));
      }, button);
    }

    return h('section', { class: 'panel', 'aria-labelledby': 'h-int' }, h('h2', { id: 'h-int' }, 'Interpolate'),
      h('div', { class: 'controls' }, field('Steps', steps), field('Method', method)),
      h('div', { class: 'row' }, fromSamples, fromImages), zone, note, strip);
  }

  function scoreSection(ref) {
    const out = h('div', { 'aria-live': 'polite' });
    const k = number(100, { min: 1, max: 5000 });
    const gaussian = ref.family === 'vae' || ref.manifest.latent?.type === 'gaussian';
    const zone = dropZone('Drop images to score', (files) => attempt(async () => {
      const images = await Promise.all(files.map(fileToBase64));
      const answer = await request(path(ref, 'score'), gaussian ? { images, k: valueOf(k), seed: 1 } : { images, seed: 1 });
      const head = gaussian ? ['image', '−ELBO (nats)', 'IWAE (nats)', 'bits/dim', 'percentile']
        : ['image', '−log p(codes) (nats)', 'MSE', 'percentile'];
      fill(out, h('table', {}, h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { class: i ? 'num' : '' }, c)))),
        h('tbody', {}, answer.scores.map((s, i) => h('tr', {}, h('td', {}, h('img', { src: png(images[i]), alt: files[i].name, width: 28 }), ' ', files[i].name),
          gaussian ? [h('td', { class: 'num' }, fmt(s.negativeElbo, 1)), h('td', { class: 'num' }, fmt(s.iwae, 1)),
            h('td', { class: 'num' }, fmt(s.iwaeBitsPerDim, 3))] : [h('td', { class: 'num' }, fmt(s.negativeLogPriorTotal, 1)), h('td', { class: 'num' }, fmt(s.mse, 4))],
          h('td', { class: 'num' }, s.percentile != null ? `worse than ${fmt(s.percentile, 1)}% of the test set` : '–'))))));
    }));
    return h('section', { class: 'panel', 'aria-labelledby': 'h-score' }, h('h2', { id: 'h-score' }, 'Score'),
      h('p', { class: 'muted' }, 'How likely each image is under the model: lower is more likely.'),
      gaussian ? h('div', { class: 'controls' }, field('k (importance samples)', k)) : null, zone, out);
  }

  function completeSection(ref) {
    if (ref.family === 'vae' || ref.manifest.latent?.type === 'gaussian') return null;
    const { height, width } = ref.manifest.inputShape;
    const canvas = h('canvas', { class: 'mask', width, height, 'aria-label': 'Image; paint the known region with the mouse' });
    const context = canvas.getContext('2d');
    const known = new Uint8Array(height * width);
    let image = null;
    const count = number(4, { min: 1, max: 64 });
    const seed = number(1, { min: 0 });
    const topK = number('', { min: 1 });
    const rows = h('input', { type: 'range', min: 0, max: height, value: Math.floor(height / 2), 'aria-label': 'Known rows from the top' });
    const strip = h('div', { class: 'strip', 'aria-live': 'polite' });
    const note = h('p', { class: 'muted' }, 'Drop an image, then paint the part to keep (or set the known rows).');

    function knownRows(n) {
      known.fill(0);
      known.fill(1, 0, n * width);
      draw();
    }
    function draw() {
      if (!image) return;
      context.drawImage(image, 0, 0, width, height);
      context.fillStyle = 'rgba(255, 80, 0, 0.45)';
      for (let i = 0; i < known.length; i++) if (!known[i]) context.fillRect(i % width, Math.floor(i / width), 1, 1);
    }
    function paint(e) {
      const box = canvas.getBoundingClientRect();
      const x = Math.floor((e.clientX - box.left) / box.width * width);
      const y = Math.floor((e.clientY - box.top) / box.height * height);
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const px = x + dx, py = y + dy;
        if (px >= 0 && py >= 0 && px < width && py < height) known[py * width + px] = e.shiftKey ? 0 : 1;
      }
      draw();
    }
    canvas.addEventListener('pointerdown', (e) => { canvas.setPointerCapture(e.pointerId); paint(e); });
    canvas.addEventListener('pointermove', (e) => e.buttons && paint(e));
    rows.addEventListener('input', () => knownRows(Number(rows.value)));
    let base64 = null;
    const zone = dropZone('Drop an image to complete', async ([file]) => {
      base64 = await fileToBase64(file);
      image = new Image();
      image.onload = () => knownRows(Number(rows.value));
      image.src = png(base64);
    }, { multiple: false });
    const go = h('button', { type: 'button', onclick: (e) => attempt(async () => {
      if (!base64) throw new Error('Drop an image first.');
      const mask = [];
      for (let y = 0; y < height; y++) mask.push([...known.slice(y * width, (y + 1) * width)]);
      const answer = await request(path(ref, 'complete'), { images: [base64], mask, count: valueOf(count), seed: valueOf(seed), topK: valueOf(topK) });
      note.textContent = `seed ${answer.seed}: the image, then ${answer.images.length} completions`;
      fill(strip, h('img', { src: png(base64), alt: 'the image' }), answer.images.map((im, i) => h('img', { src: png(im.png ?? im), alt: `completion ${i + 1}` })));
    }, e.currentTarget) }, 'Complete');
    return h('section', { class: 'panel', 'aria-labelledby': 'h-comp' }, h('h2', { id: 'h-comp' }, 'Complete'),
      h('p', { class: 'muted' }, 'Orange marks what the prior draws anew. Paint with the mouse to keep pixels; Shift to erase.'),
      zone, h('div', { class: 'row' }, canvas, h('div', {}, field('Known rows', rows), field('Count', count), field('Seed', seed), field('topK', topK), go)),
      note, strip);
  }

  return { destroy: () => aborts.forEach((a) => a.abort()) };
}
