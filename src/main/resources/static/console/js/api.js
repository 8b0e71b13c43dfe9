// Calls to the service with the API key the user entered. The key lives in sessionStorage (this tab only) and travels
// in the X-API-Key header, never in a URL: URLs end up in logs, history and Referer headers.

const KEY = 'latentserve.apiKey';

export const key = {
  get: () => sessionStorage.getItem(KEY) || '',
  set: (value) => value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY),
};

/** An RFC 9457 problem (or a transport failure) as an Error whose message a person can act on. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, problem) {
  if (status === 401) {
    return key.get() ? 'The service does not accept this API key (401). Check it, or ask for a new one.'
      : 'This needs an API key (401): enter it at the top right. The service prints one at start-up when none is configured.';
  }
  if (status === 403) {
    return 'This API key may not do that (403): ' + (problem?.detail || 'it lacks the scope') + '.';
  }
  if (status === 429) {
    return 'Too many requests (429): ' + (problem?.detail || 'wait a moment and try again') + '.';
  }
  const title = problem?.title || `HTTP ${status}`;
  return problem?.detail ? `${title}: ${problem.detail}` : title;
}

function headers(extra) {
  const h = new Headers(extra || {});
  const k = key.get();
  if (k) h.set('X-API-Key', k);
  return h;
}

async function failure(response) {
  let problem = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { problem = await response.json(); } catch { /* a body that is not JSON: the status says enough */ }
  }
  return new ApiError(response.status, problem);
}

async function send(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: headers(options.headers) });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'The service cannot be reached', detail: e.message });
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** GET or POST JSON; answers the parsed body (null for 204). */
export async function json(path, { method = 'GET', body, signal } = {}) {
  const options = { method, signal, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers['Content-Type'] = 'application/json';
  }
  const response = await send(path, options);
  return response.status === 204 ? null : response.json();
}

/** POST a multipart form; answers the parsed JSON body. */
export async function form(path, formData, { signal } = {}) {
  const response = await send(path, { method: 'POST', body: formData, signal, headers: { Accept: 'application/json' } });
  return response.json();
}

/** GET a binary body (an image, an archive) as a Blob, with the key. */
export async function blob(path, { signal } = {}) {
  return (await send(path, { signal })).blob();
}

/**
 * Upload with progress: fetch cannot report upload progress, XMLHttpRequest can.
 * @param onProgress called with the fraction sent, 0 to 1
 */
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const k = key.get();
    if (k) xhr.setRequestHeader('X-API-Key', k);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, { title: 'The upload failed', detail: 'the connection was lost' }));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.send(formData);
  });
}

/**
 * Server-Sent Events over fetch, because EventSource cannot send the key header. Calls onEvent(name, data) per event,
 * data parsed as JSON when it is; resolves when the stream ends; abort with the signal.
 */
export async function events(path, onEvent, { signal, method = 'GET', body } = {}) {
  const options = { method, signal, headers: { Accept: 'text/event-stream' } };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers['Content-Type'] = 'application/json';
  }
  const response = await send(path, options);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      dispatch(block, onEvent);
    }
  }
}

function dispatch(block, onEvent) {
  let name = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return;
  const text = data.join('\n');
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* plain text data */ }
  onEvent(name, parsed);
}
