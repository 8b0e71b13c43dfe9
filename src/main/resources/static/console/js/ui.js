// Small DOM helpers: the console builds its pages from these instead of a framework (no build step, no Node).

/** h('button', {onclick, class: 'x'}, 'text', child): an element; attributes starting with "on" become listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export const png = (base64) => 'data:image/png;base64,' + base64;

/** A labelled input; answers the wrapper, the input is wrapper.input. */
export function field(label, input, { wide = false, hint } = {}) {
  const id = input.id || ('f-' + Math.random().toString(36).slice(2, 9));
  input.id = id;
  const wrapper = h('div', { class: 'field' + (wide ? ' wide' : '') }, h('label', { for: id }, label), input,
    hint ? h('span', { class: 'muted' }, hint) : null);
  wrapper.input = input;
  return wrapper;
}

export function number(value, { min, max, step = 1, name } = {}) {
  return h('input', { type: 'number', value: value ?? '', min, max, step, name, inputmode: 'decimal' });
}

/** A number input's value, or undefined when empty. */
export function valueOf(input) {
  return input.value.trim() === '' ? undefined : Number(input.value);
}

export function banner(message, kind = 'error') {
  const element = document.getElementById('banner');
  if (!message) {
    element.hidden = true;
    return;
  }
  element.className = kind === 'info' ? 'info' : '';
  element.textContent = message;
  element.hidden = false;
}

/** Runs an action, showing its failure in the banner (and re-enabling the button that started it). */
export async function attempt(action, button) {
  if (button) button.disabled = true;
  try {
    banner(null);
    return await action();
  } catch (e) {
    if (e.name !== 'AbortError') banner(e.message);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** A drop zone that also opens a file picker on click or Enter; calls onFiles with the chosen files. */
export function dropZone(label, onFiles, { accept = 'image/png,image/jpeg', multiple = true } = {}) {
  const picker = h('input', { type: 'file', accept, multiple, class: 'sr-only', tabindex: -1, 'aria-hidden': 'true' });
  const zone = h('div', { class: 'drop', role: 'button', tabindex: 0, 'aria-label': label }, label, picker);
  picker.addEventListener('change', () => picker.files.length && onFiles([...picker.files]));
  zone.addEventListener('click', (e) => e.target !== picker && picker.click());
  zone.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), picker.click()));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files.length) onFiles([...e.dataTransfer.files]);
  });
  zone.picker = picker;
  return zone;
}

export const fmt = (value, digits = 2) => value === null || value === undefined ? '–'
  : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`;
}
