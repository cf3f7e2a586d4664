// Charts of the customer-value, behaviour-model and campaign sections, drawn from the embedded
// ReportSections JSON (`S`). A section whose stage failed has no canvas: nothing is drawn.
(function () {
  const el = (id) => document.getElementById(id);
  const ready = (s) => (s && s.status === 'ready' ? s.data : null);
  const range = (b, f) => (b.to === null ? `${f(b.from)}+` : `${f(b.from)}-${f(b.to)}`);
  const axes = (x, y) => ({
    x: { title: { display: true, text: x } },
    y: { title: { display: true, text: y } },
  });
  const histogram = (id, bins, f, x, colour) => {
    if (!el(id)) return;
    new Chart(el(id), {
      type: 'bar',
      data: {
        labels: bins.map((b) => range(b, f)),
        datasets: [{ label: 'customers', data: bins.map((b) => b.count), backgroundColor: colour }],
      },
      options: { plugins: { legend: { display: false } }, scales: axes(x, 'customers') },
    });
  };

  const v = ready(S.value);
  if (v) {
    const money = (x) => x.toLocaleString(undefined, { maximumFractionDigits: 0 });
    histogram('clv', v.clv_histogram, money, '12-month CLV', '#457b9d');
    histogram('palive', v.p_alive_histogram, (x) => x.toFixed(1), 'P(alive)', '#2a9d8f');
  }

  const b = ready(S.behaviour);
  if (b && el('models')) {
    const ms = b.models;
    new Chart(el('models'), {
      type: 'bar',
      data: {
        labels: ms.map((m) => (m.chosen ? `${m.model} (chosen)` : m.model)),
        datasets: [
          { label: `test NDCG@${b.k}`, data: ms.map((m) => m.ndcg), backgroundColor: '#1d3557' },
          { label: `test HR@${b.k}`, data: ms.map((m) => m.hit_rate), backgroundColor: '#457b9d' },
          { label: `validation NDCG@${b.k}`, data: ms.map((m) => m.validation_ndcg), backgroundColor: '#e76f51' },
        ],
      },
      options: { scales: axes('model', 'score') },
    });
  }

  const c = ready(S.campaigns);
  if (c && el('lift')) {
    const rs = c.rounds;
    const pp = (x) => 100 * x;
    const conf = Math.round(100 * c.confidence);
    new Chart(el('lift'), {
      type: 'bar',
      data: {
        labels: rs.map((r) => r.name),
        datasets: [
          {
            label: `${conf}% confidence interval`,
            data: rs.map((r) => (r.lift ? [pp(r.lift.repurchase_rate.ci_low), pp(r.lift.repurchase_rate.ci_high)] : null)),
            backgroundColor: 'rgba(69,123,157,0.35)', borderColor: '#457b9d', borderWidth: 1, barPercentage: 0.25,
          },
          {
            type: 'line', label: 'measured (treated - holdout)', showLine: false, pointRadius: 7, pointStyle: 'rectRot',
            data: rs.map((r) => (r.lift ? pp(r.lift.repurchase_rate.effect) : null)),
            backgroundColor: '#1d3557', borderColor: '#1d3557',
          },
          {
            type: 'line', label: 'true (simulated shop)', showLine: false, pointRadius: 7, pointStyle: 'crossRot', borderWidth: 2,
            data: rs.map((r) => (r.treated > 0 ? pp(r.true_incremental_purchasers / r.treated) : null)),
            backgroundColor: '#e76f51', borderColor: '#e76f51',
          },
        ],
      },
      options: { scales: axes('round', 'repurchase-rate lift, percentage points') },
    });
  }
  if (c && el('paths')) {
    new Chart(el('paths'), {
      type: 'bar',
      data: {
        labels: c.message_paths.map((p) => p.path),
        datasets: [{ label: 'messages', data: c.message_paths.map((p) => p.count), backgroundColor: '#2a9d8f' }],
      },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: axes('messages', 'validation path') },
    });
  }
})();
