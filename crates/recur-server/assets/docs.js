// A small offline browser for /v1/openapi.json: every operation, its parameters, body and
// responses, and a form to try it. Text from the document is inserted as text, never HTML.
'use strict';

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const keyInput = document.getElementById('key');
keyInput.value = sessionStorage.getItem('recur-key') || '';
keyInput.addEventListener('change', () => sessionStorage.setItem('recur-key', keyInput.value.trim()));

function schemaText(doc, s, depth = 0) {
  if (!s) return '';
  if (s.$ref) {
    const name = s.$ref.split('/').pop();
    if (depth > 1) return name;
    return name + ' ' + schemaText(doc, doc.components.schemas[name], depth + 1);
  }
  if (s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array'))) return '[' + schemaText(doc, s.items, depth) + ']';
  if (s.properties) {
    const pad = '  '.repeat(depth + 1);
    return '{\n' + Object.entries(s.properties).map(([k, v]) => pad + k + ': ' +
      (v.$ref ? v.$ref.split('/').pop() : (Array.isArray(v.type) ? v.type.join('|') : (v.type || (v.oneOf ? 'oneOf' : 'object')))) +
      (v.description ? '  // ' + v.description.split('\n')[0] : '')).join('\n') + '\n' + '  '.repeat(depth) + '}';
  }
  if (s.oneOf) return s.oneOf.map((x) => schemaText(doc, x, depth)).join(' | ');
  if (s.enum) return s.enum.join(' | ');
  return Array.isArray(s.type) ? s.type.join('|') : (s.type || 'object');
}

function operation(doc, path, method, op) {
  const params = op.parameters || [];
  const inputs = params.map((p) => {
    const input = h('input', { 'data-name': p.name, 'data-in': p.in, size: 30 });
    return h('label', {}, `${p.name} (${p.in}${p.required ? ', required' : ''}) `, input, ' ', p.description || '');
  });
  const body = op.requestBody ? h('textarea', { rows: 6 }) : null;
  const out = h('pre', {});
  const send = h('button', {}, 'Send');
  send.addEventListener('click', async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const el of inputs.map((l) => l.querySelector('input'))) {
      if (!el.value) continue;
      if (el.dataset.in === 'path') url = url.replace('{' + el.dataset.name + '}', encodeURIComponent(el.value));
      else query.set(el.dataset.name, el.value);
    }
    if ([...query].length) url += '?' + query;
    const init = { method: method.toUpperCase(), headers: { Authorization: 'Bearer ' + keyInput.value.trim() } };
    if (body) { init.body = body.value; init.headers['Content-Type'] = 'application/json'; }
    const r = await fetch(url, init);
    const text = await r.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
    out.textContent = `${r.status} ${r.statusText}\n\n${shown}`;
  });
  const responses = Object.entries(op.responses || {}).map(([code, r]) => {
    const content = r.content ? Object.values(r.content)[0] : null;
    return h('div', {}, h('b', {}, code), ' ', r.description || '',
      content && content.schema ? h('pre', {}, schemaText(doc, content.schema)) : null);
  });
  const reqSchema = op.requestBody ? Object.values(op.requestBody.content)[0].schema : null;
  return h('div', { class: 'op ' + method },
    h('div', {}, h('span', { class: 'm' }, method), h('code', {}, path)),
    h('p', {}, op.summary || ''), op.description ? h('p', { class: 'note' }, op.description) : null,
    inputs, reqSchema ? [h('label', {}, 'Body (JSON)'), h('pre', {}, schemaText(doc, reqSchema)), body] : null,
    send, out, h('details', {}, h('summary', {}, 'Responses'), responses));
}

fetch('/v1/openapi.json').then((r) => r.json()).then((doc) => {
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ['other'])[0];
      (byTag[tag] = byTag[tag] || []).push(operation(doc, path, method, op));
    }
  }
  const root = document.getElementById('ops');
  root.replaceChildren(h('section', {}, h('h2', {}, doc.info.title + ' ' + doc.info.version), h('p', {}, doc.info.description || '')),
    ...(doc.tags || []).filter((t) => byTag[t.name]).map((t) =>
      h('section', {}, h('h2', {}, t.name), h('p', { class: 'note' }, t.description || ''), byTag[t.name])));
  document.body.dataset.rendered = 'docs';
});
