// recur dashboard: one page per area, data from the /v1 API with the key in this tab only.
// Every text from the API goes into the page as text nodes (never as HTML).
'use strict';

const KEY = 'recur-key';
const charts = [];
const pending = [];

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') el.addEventListener('click', v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v)) ? '-' :
  Number(v).toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (v, d = 1) => (v === null || v === undefined) ? '-' : fmt(100 * v, d) + '%';

function kpis(items) {
  return h('div', { class: 'kpis' }, items.map(([k, v]) =>
    h('div', { class: 'kpi' }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k))));
}

function table(head, rows) {
  return h('table', {}, h('tr', {}, head.map((c) => h('th', {}, c))),
    rows.map((r) => h('tr', {}, r.map((c) => (c instanceof Node && c.tagName === 'TD') ? c : h('td', {}, c)))));
}

function section(title, ...body) {
  return h('section', {}, h('h2', {}, title), ...body);
}

// Charts are drawn once their canvas is in the page (Chart.js sizes them from the layout).
function chart(canvas, config) {
  config.options = Object.assign({ animation: false, responsive: true }, config.options || {});
  pending.push([canvas, config]);
  return canvas;
}

function drawPending() {
  for (const [canvas, config] of pending.splice(0)) charts.push(new Chart(canvas, config));
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
  }
}

async function api(path, payload) {
  const key = sessionStorage.getItem(KEY);
  const init = { headers: { Authorization: 'Bearer ' + key } };
  if (payload !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(payload);
  }
  const r = await fetch(path, init);
  let body = null;
  try { body = await r.json(); } catch (_) { body = null; }
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

async function optional(path) {
  try { return await api(path); } catch (e) { if (e.status === 401) throw e; return { error: e.message }; }
}

function unavailable(title, e) {
  return section(title, h('p', { class: 'error' }, e));
}

// ---- pages ----

async function overview() {
  const [status, report] = await Promise.all([api('/v1/status'), optional('/v1/analytics')]);
  const out = [];
  if (report.error) {
    out.push(unavailable('Analytics', report.error));
  } else {
    const o = report.overview, r = report.repurchase_rate;
    const cur = (o.currencies || []).join('/');
    out.push(kpis([
      ['Customers', fmt(o.customers)], ['Orders', fmt(o.orders)], ['Revenue', fmt(o.revenue) + ' ' + cur],
      [`Repurchase within ${r.days} days`, pct(r.rate)], ['Customers with 2+ orders', pct(r.share_with_2plus_orders)],
      ['Median days between orders', fmt(report.inter_purchase.overall.median)],
      ['Live events waiting', fmt(status.queue_depth)],
    ]));
    const cohorts = report.cohorts;
    const cells = [];
    cohorts.forEach((c) => c.retention.forEach((v, k) => { if (k > 0) cells.push({ x: k, y: c.cohort, v, n: c.active[k] }); }));
    const maxK = Math.max(1, ...cohorts.map((c) => c.retention.length - 1));
    const maxV = Math.max(0.01, ...cells.map((c) => c.v));
    out.push(section('Monthly cohort retention',
      h('p', { class: 'note' }, 'Row: month of first order. Column: months since. Cell: share of the cohort that ordered that month.'),
      chart(h('canvas', { id: 'chart-cohorts' }), {
        type: 'matrix',
        data: { datasets: [{ data: cells,
          backgroundColor: (ctx) => `rgba(29,53,87,${0.08 + 0.92 * (ctx.raw ? ctx.raw.v / maxV : 0)})`,
          width: ({ chart }) => (chart.chartArea || {}).width / maxK - 2,
          height: ({ chart }) => (chart.chartArea || {}).height / Math.max(1, cohorts.length) - 2 }] },
        options: { plugins: { legend: { display: false }, tooltip: { callbacks: { title: () => '',
          label: (c) => `cohort ${c.raw.y}, month +${c.raw.x}: ${(c.raw.v * 100).toFixed(1)}% (${c.raw.n} customers)` } } },
          scales: { x: { type: 'linear', min: 0.5, max: maxK + 0.5, offset: false, afterBuildTicks: (axis) => { axis.ticks = Array.from({ length: maxK }, (_, i) => ({ value: i + 1 })); }, ticks: { callback: (v) => '+' + v }, grid: { display: false } },
            y: { type: 'category', labels: cohorts.map((c) => c.cohort), offset: true } } },
      })));
    const seg = report.rfm_segments;
    out.push(section('RFM segments',
      chart(h('canvas', { id: 'chart-segments' }), {
        type: 'bar',
        data: { labels: seg.map((s) => s.segment), datasets: [
          { label: 'share of customers %', data: seg.map((s) => 100 * s.share), backgroundColor: '#457b9d' },
          { label: 'share of revenue %', data: seg.map((s) => 100 * s.revenue_share), backgroundColor: '#e76f51' }] },
      }),
      table(['Segment', 'Customers', 'Revenue', 'Avg days since last order', 'Avg orders'],
        seg.map((s) => [s.segment, fmt(s.customers), fmt(s.revenue), fmt(s.avg_recency_days), fmt(s.avg_orders, 1)]))));
  }
  if (status.problems.length) {
    out.push(section('Not available', table(['Part', 'Why'], status.problems.map((p) => [p.part, p.message]))));
  }
  return out;
}

async function value() {
  const v = await optional('/v1/value');
  if (v.error) return [unavailable('Customer value', v.error)];
  const bins = (b) => b.map((x) => `${fmt(x.lo, x.hi < 2 ? 1 : 0)}-${fmt(x.hi, x.hi < 2 ? 1 : 0)}`);
  return [
    kpis([['Customers valued', fmt(v.customers)], ['12-month value', fmt(v.total_clv_12m)],
      ['Value at risk', fmt(v.total_value_at_risk)], ['P(alive) < 0.5', fmt(v.likely_gone)]]),
    h('div', { class: 'grid' },
      section('12-month value per customer', chart(h('canvas', { id: 'chart-clv' }), {
        type: 'bar', data: { labels: bins(v.clv_histogram), datasets: [{ label: 'customers', data: v.clv_histogram.map((b) => b.count), backgroundColor: '#2a9d8f' }] } })),
      section('P(alive)', chart(h('canvas', { id: 'chart-palive' }), {
        type: 'bar', data: { labels: bins(v.p_alive_histogram), datasets: [{ label: 'customers', data: v.p_alive_histogram.map((b) => b.count), backgroundColor: '#457b9d' }] } }))),
    section('Most value at risk',
      table(['Customer', 'P(alive)', 'Expected purchases 90 d', '12-month value', 'Value at risk'],
        v.top_at_risk.map((c) => [h('td', {}, h('a', { class: 'link', onclick: () => openCustomer(c.customer_id) }, c.customer_id)),
          fmt(c.p_alive, 2), fmt(c.expected_purchases_90d, 2), fmt(c.clv_12m), fmt(c.value_at_risk)]))),
  ];
}

async function model() {
  const m = await api('/v1/model');
  if (!m.comparison.length) return [unavailable('Behaviour model', 'No model trained yet: run `recur train`.')];
  return [
    kpis([['Ranking recommendations', m.in_use || '-'], ['Best on validation', m.chosen || '-']]),
    section('Models compared on each customer\'s last order (NDCG@10, validation)',
      chart(h('canvas', { id: 'chart-models' }), {
        type: 'bar',
        data: { labels: m.comparison.map((c) => c.model), datasets: [{ label: 'NDCG@10',
          data: m.comparison.map((c) => c.ndcg_at_10),
          backgroundColor: m.comparison.map((c) => c.model === m.chosen ? '#e76f51' : '#457b9d') }] },
        options: { indexAxis: 'y' },
      })),
  ];
}

async function campaigns() {
  const list = await api('/v1/campaigns');
  if (!list.length) return [unavailable('Campaigns', 'No campaign planned yet: `recur campaign plan --spec FILE`.')];
  const out = [section('Campaigns',
    chart(h('canvas', { id: 'chart-groups' }), {
      type: 'bar',
      data: { labels: list.map((c) => c.id), datasets: [
        { label: 'treated', data: list.map((c) => c.treated), backgroundColor: '#e76f51' },
        { label: 'holdout', data: list.map((c) => c.holdout), backgroundColor: '#457b9d' },
        { label: 'excluded', data: list.map((c) => c.excluded), backgroundColor: '#adb5bd' }] },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } },
    }),
    table(['Campaign', 'Planned', 'Treated', 'Holdout', 'Excluded', 'Sent', 'Queued', 'Failed'],
      list.map((c) => [c.id, c.planned_at, fmt(c.treated), fmt(c.holdout), fmt(c.excluded),
        fmt(c.sends.sent), fmt(c.sends.queued), fmt(c.sends.failed)])))];
  for (const c of list) {
    const [detail, lift] = await Promise.all([optional('/v1/campaigns/' + encodeURIComponent(c.id)),
      optional('/v1/campaigns/' + encodeURIComponent(c.id) + '/lift')]);
    const parts = [];
    if (lift.error) {
      parts.push(h('p', { class: 'error' }, 'Lift: ' + lift.error));
    } else {
      const L = lift.lift;
      const rows = [];
      if (L.overall) rows.push(['All customers', L.overall]);
      for (const [seg, l] of L.by_segment) rows.push([seg, l]);
      for (const t of lift.by_group || []) for (const [g, l] of t.groups) rows.push([`${t.attribute} ${g}`, l]);
      const eff = rows.map(([, l]) => l.repurchase_rate);
      parts.push(h('p', { class: 'note' }, `Goal window ${lift.window_start} .. ${lift.window_end}; ` +
        `${fmt(100 * L.confidence)}% intervals; repurchase-rate lift (treated minus holdout), percentage points.`));
      parts.push(chart(h('canvas', { id: 'chart-lift-' + c.id }), {
        type: 'bar',
        data: { labels: rows.map(([n]) => n), datasets: [
          { type: 'bar', label: 'interval', data: eff.map((e) => [100 * e.ci_low, 100 * e.ci_high]), backgroundColor: '#a8dadc' },
          { type: 'scatter', label: 'lift', data: eff.map((e, i) => ({ x: rows[i][0], y: 100 * e.effect })), backgroundColor: '#1d3557' }] },
        options: { indexAxis: 'x', scales: { y: { title: { display: true, text: 'points' } } } },
      }));
      parts.push(table(['Group', 'Treated', 'Holdout', 'Rate treated', 'Rate holdout', 'Lift', 'Interval'],
        rows.map(([n, l]) => [n, fmt(l.repurchase_rate.treated), fmt(l.repurchase_rate.control),
          pct(l.repurchase_rate.treated_mean), pct(l.repurchase_rate.control_mean), pct(l.repurchase_rate.effect),
          `${pct(l.repurchase_rate.ci_low)} .. ${pct(l.repurchase_rate.ci_high)}`])));
    }
    if (!detail.error && detail.fairness) {
      const F = detail.fairness;
      const rows = [];
      for (const t of F.fairness) for (const g of t.groups) rows.push([t.attribute, g.group, fmt(g.size), fmt(g.valuable), pct(g.valuable_rate),
        g.ratio_to_overall == null ? '-' : fmt(g.ratio_to_overall, 2), g.flagged ? 'flagged' : (g.small ? 'small group' : '')]);
      parts.push(h('p', { class: 'note' }, 'Fairness of the plan: share of the customers the targeting decided on who got a valuable offer (a discount or free shipping), per group, and its ratio to the overall share; flagged under 0.8 (four-fifths rule) for groups of 30 or more.'));
      parts.push(table(['By', 'Group', 'Customers', 'Valuable offers', 'Share', 'Ratio', ''], rows));
      for (const g of F.guard_rails) parts.push(h('p', { class: 'note' }, `Guard rail: ${g.attribute} ${g.group} raised by ${g.upgraded} valuable offers.`));
    }
    if (!detail.error) {
      const paths = Object.entries(detail.message_paths);
      if (paths.length) {
        parts.push(chart(h('canvas', { id: 'chart-paths-' + c.id }), {
          type: 'doughnut',
          data: { labels: paths.map(([p]) => p), datasets: [{ data: paths.map(([, n]) => n),
            backgroundColor: ['#2a9d8f', '#e9c46a', '#e76f51', '#adb5bd'] }] },
          options: { maintainAspectRatio: false, plugins: { title: { display: true, text: 'How the messages were written' } } },
        }));
        parts.push(table(['Customer', 'Path', 'Subject', 'Body'],
          detail.messages.slice(0, 5).map((m) => [m.customer_id, m.path, h('td', { class: 'text' }, m.subject), h('td', { class: 'text' }, m.body)])));
      }
    }
    out.push(section('Campaign ' + c.id, ...parts));
  }
  return out;
}

function openCustomer(id) {
  location.hash = '#customer/' + encodeURIComponent(id);
}

async function customer(id) {
  const form = h('form', {}, h('input', { id: 'customer-id', size: 30, placeholder: 'customer id', value: id || '' }), ' ', h('button', {}, 'Show'));
  form.addEventListener('submit', (e) => { e.preventDefault(); openCustomer(document.getElementById('customer-id').value.trim()); });
  const out = [section('Customer', form)];
  if (!id) {
    const top = await optional('/v1/customers?limit=10');
    if (!top.error) out.push(section('Most value at risk', table(['Customer', 'Value at risk'],
      top.map((c) => [h('td', {}, h('a', { class: 'link', onclick: () => openCustomer(c.customer_id) }, c.customer_id)), fmt(c.value_at_risk)]))));
    return out;
  }
  const enc = encodeURIComponent(id);
  const [p, recs, msgs] = await Promise.all([optional('/v1/customers/' + enc),
    optional('/v1/customers/' + enc + '/recommendations?k=10'), optional('/v1/customers/' + enc + '/messages')]);
  if (p.error) return out.concat([unavailable('Customer ' + id, p.error)]);
  const v = p.value || {};
  out.push(kpis([['Segment', p.segment || '-'], ['P(alive)', fmt(v.p_alive, 2)], ['12-month value', fmt(v.clv_12m)],
    ['Value at risk', fmt(v.value_at_risk)], ['Orders', fmt(p.rfm ? p.rfm.frequency : null)],
    ['Favourite category', p.favourite_category || '-'], ['Live events', fmt(p.live.events)]]));
  if (p.rfm) {
    out.push(section('RFM scores', chart(h('canvas', { id: 'chart-rfm' }), {
      type: 'bar', data: { labels: ['Recency', 'Frequency', 'Monetary'], datasets: [{ label: 'score 1-5',
        data: [p.rfm.r, p.rfm.f, p.rfm.m], backgroundColor: '#457b9d' }] },
      options: { scales: { y: { min: 0, max: 5 } } } })));
  }
  out.push(section('Recommendations', recs.error ? h('p', { class: 'error' }, recs.error) : [
    h('p', { class: 'note' }, `Ranked by ${recs.model} over ${recs.history_events} events (${recs.live_events} live); ` +
      `P(purchase within 90 days) ${recs.p_purchase_90d === null ? '-' : pct(recs.p_purchase_90d)}.`),
    table(['Product', 'Title', 'Price', 'Seen before', 'Score'],
      recs.items.map((i) => [i.product_id, h('td', { class: 'text' }, i.title || ''), fmt(i.price, 2), i.seen_before ? 'yes' : '', fmt(i.score, 3)]))]));
  out.push(section('Latest orders', table(['Order', 'When', 'Product', 'Title'],
    p.recent_orders.map((l) => [l.order_id, l.ordered_at, l.product_id, h('td', { class: 'text' }, l.title || '')]))));
  out.push(section('Messages', msgs.error ? h('p', { class: 'error' }, msgs.error) :
    table(['Campaign', 'Status', 'Sent', 'Subject', 'Offer'],
      msgs.map((m) => [m.campaign, m.status, m.sent_at || '-', h('td', { class: 'text' }, m.subject), m.offer]))));
  return out;
}

// The assistant console: a question (and optionally the signed-in customer, for order
// questions; the key then needs the `personal` scope), the answer with the passages it cites,
// and an escalation to a person shown as such. The conversation stays in this tab.
const chat = [];

function answerView(question, a) {
  const parts = [h('p', { class: 'question' }, 'Q: ', question)];
  if (a.escalate) {
    parts.push(h('p', { class: 'escalate', id: 'assist-escalation' },
      'Hand over to a person: ', a.reason || 'the assistant cannot settle this', a.reason_code ? ` (${a.reason_code})` : ''));
  }
  parts.push(h('p', { class: 'answer', id: 'assist-answer' }, a.answer));
  parts.push(h('p', { class: 'note' }, `Language ${a.language} · ${a.mode} · retrieval confidence ${fmt(a.confidence, 2)} · ${fmt(a.seconds, 2)} s`));
  if (a.citations.length) {
    parts.push(table(['Cited', 'Passage', 'Source', 'Title'],
      a.citations.map((c) => ['[' + c.marker + ']', c.id, c.source, h('td', { class: 'text' }, c.title)])));
  } else {
    parts.push(h('p', { class: 'note' }, 'No passage cited.'));
  }
  if (a.rejected && a.rejected.length) {
    parts.push(h('p', { class: 'note' }, 'Model answers rejected by the checks: ' + a.rejected.join('; ')));
  }
  return h('div', { class: 'turn' }, parts);
}

async function ask(question, customerId) {
  const body = { question, history: chat.slice() };
  if (customerId) body.customer_id = customerId;
  try {
    const a = await api('/v1/assist', body);
    chat.push({ role: 'customer', text: question }, { role: 'assistant', text: a.answer });
    return answerView(question, a);
  } catch (e) {
    if (e.status === 401) throw e;
    return h('p', { class: 'error', id: 'assist-error' }, e.message);
  }
}

async function assist(question, customerId) {
  const q = h('textarea', { id: 'assist-question', rows: 3, cols: 80, placeholder: 'A customer\'s question, e.g. When will I get my refund?' });
  const c = h('input', { id: 'assist-customer', size: 24, placeholder: 'customer id (optional)' });
  c.value = customerId || '';
  const answers = h('div', { id: 'assist-answers' });
  const form = h('form', { id: 'assist-form' }, q, h('div', {}, c, ' ', h('button', {}, 'Ask'), ' ',
    h('button', { type: 'button', id: 'assist-reset', onclick: () => { chat.splice(0); answers.replaceChildren(); } }, 'New conversation')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = q.value.trim();
    if (!text) return;
    answers.prepend(h('p', { class: 'note', id: 'assist-wait' }, 'Asking...'));
    const view = await ask(text, c.value.trim());
    const wait = document.getElementById('assist-wait');
    if (wait) wait.remove();
    answers.prepend(view);
    q.value = '';
  });
  // A question in the address (#assist/QUESTION[/CUSTOMER]) is asked at once.
  if (question) answers.append(await ask(question, customerId));
  return [section('Assistant',
    h('p', { class: 'note' }, 'Answers come from the shop\'s knowledge (recur kb import) with the passages they cite; ' +
      'requests the assistant cannot settle (refunds, cancellations, complaints, low confidence) go to a person. ' +
      'A customer id lets it answer order questions from that customer\'s orders (the key needs the personal scope).'),
    form), section('Conversation', answers)];
}

// Products: search (what a shopper would type, optionally re-ranked for a customer) and one
// product's review pain points. #products/QUERY[/CUSTOMER] and #product/ID.
function openSearch(query, customerId) {
  location.hash = '#products/' + encodeURIComponent(query) + (customerId ? '/' + encodeURIComponent(customerId) : '');
}

function openProduct(id) {
  location.hash = '#product/' + encodeURIComponent(id);
}

async function products(query, customerId) {
  const q = h('input', { id: 'search-query', size: 40, placeholder: 'e.g. decaf coffee under 20' });
  q.value = query || '';
  const c = h('input', { id: 'search-customer', size: 20, placeholder: 'customer id (optional)' });
  c.value = customerId || '';
  const form = h('form', { id: 'search-form' }, q, ' ', c, ' ', h('button', {}, 'Search'));
  form.addEventListener('submit', (e) => { e.preventDefault(); if (q.value.trim()) openSearch(q.value.trim(), c.value.trim()); });
  const pid = h('input', { id: 'product-id', size: 20, placeholder: 'product id' });
  const reviewsForm = h('form', {}, pid, ' ', h('button', {}, 'Reviews'));
  reviewsForm.addEventListener('submit', (e) => { e.preventDefault(); if (pid.value.trim()) openProduct(pid.value.trim()); });
  const out = [section('Product search', form), section('Review pain points of a product', reviewsForm)];
  if (!query) return out;
  let path = '/v1/search?k=20&q=' + encodeURIComponent(query);
  if (customerId) path += '&customer=' + encodeURIComponent(customerId);
  const r = await optional(path);
  if (r.error) return out.concat([unavailable('Results', r.error)]);
  const i = r.intent;
  const range = (i.price_min === null && i.price_max === null) ? '-' : `${fmt(i.price_min, 2)} to ${fmt(i.price_max, 2)}`;
  out.push(kpis([['Category', i.category || '-'], ['Price', range], ['Terms', i.terms.join(' ') || '-'],
    ['Method', r.method], ['Personalised', r.personalised || 'no']]));
  if (r.notes.length) out.push(h('p', { class: 'note' }, r.notes.join(' · ')));
  out.push(section('Results', h('div', { id: 'search-results' }, table(['Product', 'Title', 'Category', 'Price', 'Score'],
    r.results.map((f) => [h('td', {}, h('a', { class: 'link', onclick: () => openProduct(f.product_id) }, f.product_id)),
      h('td', { class: 'text' }, f.title), f.category || '-', fmt(f.price, 2), fmt(f.score, 4)])))));
  return out;
}

async function product(id) {
  const out = [section('Product', h('a', { class: 'link', onclick: () => { location.hash = '#products'; } }, 'Search products'))];
  if (!id) return out;
  const r = await optional('/v1/products/' + encodeURIComponent(id) + '/reviews');
  if (r.error) return out.concat([unavailable('Reviews of ' + id, r.error)]);
  out.push(kpis([['Product', r.product_id], ['Category', r.category || '-'], ['Reviews', fmt(r.reviews)],
    ['Negative', pct(r.negative_share)], ['Mean stars', fmt(r.mean_stars, 2)], ['Held back', r.held_back ? 'yes' : 'no']]));
  if (r.held_back_reason) out.push(h('p', { class: 'escalate', id: 'held-back' }, r.held_back_reason));
  out.push(section('Pain points', h('div', { id: 'pain-points' }, table(['Aspect', 'Mentions', 'Negative', 'Quotes (review id)'],
    r.aspects.map((a) => [a.aspect, fmt(a.mentions), pct(a.negative_share),
      h('td', { class: 'text' }, a.examples.map((q) => h('div', {}, `"${q.text}" (${q.review}, ${q.polarity})`)))])))));
  // The summary `recur analyze` saved (the server never runs the language model).
  const s = r.summary;
  const how = `recur analyze --product ${r.product_id} --summary`;
  out.push(section('Summary of the reviews', h('div', { id: 'review-summary' }, s
    ? [h('ul', {}, s.bullets.map((b) => h('li', { class: 'text' }, b.text,
        h('span', { class: 'note' }, ` (reviews ${b.citations.join(', ') || '-'}; ${b.path})`)))),
      h('p', { class: 'note' }, `Written ${s.written_at} by ${s.path === 'model' ? s.writer : 'the template'} from ${fmt(s.reviews)} reviews.`
        + (s.note ? ` ${s.note}` : '')),
      s.stale ? h('p', { class: 'escalate' }, `Stale: the product has ${fmt(r.reviews)} reviews now; run ${how} again.`) : null]
    : h('p', { class: 'note' }, `None saved: ${how} (or recur analyze --summaries N) writes one.`))));
  return out;
}

// ---- shell ----

const PAGES = { overview, value, model, campaigns, customer, products, product, assist };

async function show() {
  const [name, ...args] = (location.hash.slice(1) || 'overview').split('/');
  const page = PAGES[name] ? name : 'overview';
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('on', a.dataset.page === page));
  const root = document.getElementById('page');
  charts.splice(0).forEach((c) => c.destroy());
  pending.splice(0);
  root.replaceChildren(h('p', { class: 'note' }, 'Loading...'));
  try {
    const status = await api('/v1/status');
    document.getElementById('shop').textContent = `${status.shop} · snapshot ${status.snapshot_built_at}`;
    document.getElementById('login').hidden = true;
    const parts = await PAGES[page](...args.map((a) => decodeURIComponent(a)));
    root.replaceChildren(...parts);
    drawPending();
    document.body.dataset.rendered = page;
  } catch (e) {
    if (e.status === 401 || !sessionStorage.getItem(KEY)) {
      root.replaceChildren();
      document.getElementById('login').hidden = false;
      document.getElementById('login-error').textContent = sessionStorage.getItem(KEY) ? e.message : '';
    } else {
      root.replaceChildren(unavailable('Error', e.message));
    }
    document.body.dataset.rendered = 'error';
  }
}

document.getElementById('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById('key-input').value.trim());
  show();
});

// A key in the address (#page&key=...) is taken once and removed from the address bar.
const m = location.hash.match(/[#&]key=([^&]+)/);
if (m) {
  sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
  const rest = location.hash.slice(1).split('&').filter((p) => !p.startsWith('key=')).join('&');
  history.replaceState(null, '', location.pathname + '#' + (rest || 'overview'));
}
window.addEventListener('hashchange', show);
show();
