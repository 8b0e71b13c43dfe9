// The console's shell: the key form, the page router (#/page/arg...), and one live page at a time.
import { key } from './api.js';
import { banner } from './ui.js';
import models from './pages/models.js';
import playground from './pages/playground.js';
import jobs from './pages/jobs.js';
import datasets from './pages/datasets.js';

const PAGES = { models, playground, jobs, datasets };
let current = null;

function route() {
  const [name = 'models', ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = PAGES[name] || models;
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    link.toggleAttribute('aria-current', link.dataset.page === name);
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
  }
  if (current?.destroy) current.destroy();
  banner(null);
  const main = document.getElementById('page');
  main.replaceChildren();
  current = page(main, args.filter(Boolean)) || null;
  main.focus({ preventScroll: true });
}

function keyForm() {
  const form = document.getElementById('key-form');
  const input = document.getElementById('key-input');
  input.value = key.get();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    key.set(input.value.trim());
    route();
    banner(input.value.trim() ? 'Key saved for this tab.' : 'Key cleared.', 'info');
  });
  document.getElementById('key-forget').addEventListener('click', () => {
    key.set('');
    input.value = '';
    route();
  });
}

keyForm();
window.addEventListener('hashchange', route);
route();
