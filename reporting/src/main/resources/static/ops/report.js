// AdGrid campaign report: one campaign over a range, per minute, hour or day, from /api/v1/stats.
'use strict';

(function () {
  const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
  const DEFAULT_GRANULARITY = { '1h': 'minute', '24h': 'hour', '7d': 'hour', '30d': 'day' };
  const STEP = { minute: 60e3, hour: 3600e3 };
  const $ = id => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const pct = x => (100 * x).toFixed(2) + ' %';
  const campaigns = {};
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

  function chart(id, datasets, axes) {
    // Few ticks with room between them: hour labels are two lines (time, date) and never run into each other.
    const scales = { x: { ticks: { maxTicksLimit: 7, maxRotation: 0, autoSkip: true, autoSkipPadding: 24 }, grid: { display: false } } };
    axes.forEach(a => { scales[a.id] = { position: a.position, beginAtZero: true, title: { display: true, text: a.title }, grid: { drawOnChartArea: a.position === 'left' } }; });
    return new Chart($(id), {
      type: 'line',
      data: { labels: [], datasets: datasets.map(d => ({ label: d.label, data: [], yAxisID: d.axis, borderColor: d.color, backgroundColor: d.color + '33', fill: !!d.fill, tension: 0, pointRadius: 0, borderWidth: 2 })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false }, scales,
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } } } }
    });
  }

  const charts = {
    traffic: chart('chart-traffic', [
      { label: 'impressions', axis: 'y', color: '#4c6ef5', fill: true },
      { label: 'clicks', axis: 'y1', color: '#12b886' }], [{ id: 'y', position: 'left', title: 'impressions' }, { id: 'y1', position: 'right', title: 'clicks' }]),
    sales: chart('chart-sales', [
      { label: 'conversions', axis: 'y', color: '#f08c00', fill: true },
      { label: 'revenue', axis: 'y1', color: '#9c36b5' }], [{ id: 'y', position: 'left', title: 'conversions' }, { id: 'y1', position: 'right', title: 'revenue' }]),
    rates: chart('chart-rates', [
      { label: 'CTR %', axis: 'y', color: '#12b886' },
      { label: 'CVR %', axis: 'y', color: '#e03131' }], [{ id: 'y', position: 'left', title: '%' }])
  };

  function params() {
    const range = $('range').value;
    const p = new URLSearchParams();
    p.set('campaign', $('campaign').value);
    if (range === 'custom') {
      if (!$('from').value || !$('to').value) throw new Error('choose a start and an end');
      p.set('from', $('from').value);
      p.set('to', $('to').value);
    } else {
      const to = Math.ceil(Date.now() / 60e3) * 60e3;
      p.set('from', new Date(to - RANGES[range]).toISOString());
      p.set('to', new Date(to).toISOString());
    }
    p.set('tz', $('tz').value);
    return p;
  }

  async function getJson(url) {
    const r = await fetch(url, { cache: 'no-store' });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.reason || ('HTTP ' + r.status));
    return body;
  }

  /** A bucket's x-axis label, 24-hour time like the dashboard; hours get the date on a second line. */
  function label(bucket, granularity, tz) {
    if (granularity === 'day') return bucket.substring(0, 10);
    const d = new Date(bucket);
    const time = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
    if (granularity !== 'hour') return time;
    return [time, new Intl.DateTimeFormat('en-GB', { timeZone: tz, month: 'short', day: 'numeric' }).format(d)];
  }

  const plural = (n, one, many) => nf.format(n) + ' ' + (n === 1 ? one : many);

  /** The tz-local date (YYYY-MM-DD) of an instant. */
  function localDate(ms, tz) {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
  }

  /**
   * Every bucket of the range, with zeros where the API left one out (no traffic). With a preset
   * range the buckets run from the one holding `from` to the one holding `to`; with a custom one,
   * from the first row to the last.
   */
  function filled(rows, granularity, fromMs, toMs, tz) {
    const zero = b => ({ bucket: b, impressions: 0, clicks: 0, conversions: 0, revenue: '0.00', ctr: 0, cvr: 0, suspect_clicks: 0, invalid: 0, spend: '0.00' });
    const known = fromMs !== null && toMs !== null;
    if (!rows.length && !known) return [];
    if (granularity === 'day') {
      const byDay = new Map(rows.map(r => [r.bucket.substring(0, 10), r]));
      const first = known ? localDate(fromMs, tz) : rows[0].bucket.substring(0, 10);
      const last = known ? localDate(toMs - 1, tz) : rows[rows.length - 1].bucket.substring(0, 10);
      const out = [];
      const day = new Date(first + 'T00:00:00Z');
      for (let i = 0; i < 4000; i++) {
        const key = day.toISOString().substring(0, 10);
        out.push(byDay.get(key) || zero(key));
        if (key >= last) break;
        day.setUTCDate(day.getUTCDate() + 1);
      }
      return out;
    }
    const step = STEP[granularity];
    const byTime = new Map(rows.map(r => [Date.parse(r.bucket), r]));
    let start;
    let end;
    if (known) {
      // Buckets are aligned in the report's zone: take a row's start as the anchor when there is one.
      const anchor = rows.length ? Date.parse(rows[0].bucket) : Math.floor(fromMs / step) * step;
      start = anchor - Math.ceil((anchor - fromMs) / step) * step;
      end = toMs - 1;
    } else {
      start = Date.parse(rows[0].bucket);
      end = Date.parse(rows[rows.length - 1].bucket);
    }
    const out = [];
    for (let t = start; t <= end && out.length < 60000; t += step) {
      out.push(byTime.get(t) || zero(new Date(t).toISOString()));
    }
    return out;
  }

  function cell(text) { const td = document.createElement('td'); td.textContent = text; return td; }

  async function show(event) {
    if (event) event.preventDefault();
    const message = $('message');
    message.hidden = true;
    let p;
    try {
      p = params();
    } catch (e) {
      message.textContent = e.message;
      message.hidden = false;
      return;
    }
    const granularity = $('granularity').value;
    const tz = $('tz').value;
    const series = new URLSearchParams(p);
    series.set('granularity', granularity);
    const csv = new URLSearchParams(series);
    csv.set('format', 'csv');
    $('csv').href = '/api/v1/stats?' + csv;
    $('csv').setAttribute('download', 'campaign-' + p.get('campaign') + '-' + granularity + '.csv');
    const page = new URLSearchParams({ campaign: p.get('campaign'), range: $('range').value, granularity, tz });
    if ($('range').value === 'custom') { page.set('from', p.get('from')); page.set('to', p.get('to')); }
    history.replaceState(null, '', '?' + page);
    const total = new URLSearchParams(p);
    total.set('granularity', 'total');
    try {
      const [t, s] = await Promise.all([getJson('/api/v1/stats?' + total), getJson('/api/v1/stats?' + series)]);
      const r = t.rows[0];
      $('t-impressions').textContent = nf.format(r.impressions);
      $('t-clicks').textContent = nf.format(r.clicks);
      $('t-conversions').textContent = nf.format(r.conversions);
      $('t-revenue').textContent = r.revenue;
      const c = campaigns[p.get('campaign')];
      $('t-currency').textContent = c ? c.currency : '';
      $('t-ctr').textContent = pct(r.ctr);
      $('t-cvr').textContent = pct(r.cvr);
      // CVR is per clean click; a sale counts whatever click led to it, so with many suspect clicks it can pass 100 %.
      const allClicks = r.clicks + r.suspect_clicks;
      $('t-cvr-sub').textContent = 'conversions / clean clicks; ' + (allClicks ? pct(r.conversions / allClicks) : '–') + ' of all clicks'
        + (r.cvr > 1 ? ' (over 100 %: conversions after suspect clicks)' : '');
      $('t-suspect').textContent = nf.format(r.suspect_clicks);
      $('t-invalid').textContent = nf.format(r.invalid);
      // reach is an HLL estimate over the UTC days the range touches, present once impressions carried u
      $('t-reach').textContent = r.reach === undefined ? '–' : nf.format(r.reach);
      $('t-reach-sub').textContent = r.reach === undefined ? 'no impression here carried u'
        : 'distinct users (u) of the impressions, ±0.8 %, over whole UTC days';
      $('t-spend').textContent = r.spend;
      const custom = $('range').value === 'custom';
      const rows = filled(s.rows, granularity, custom ? null : Date.parse(p.get('from')), custom ? null : Date.parse(p.get('to')), tz);
      const labels = rows.map(x => label(x.bucket, granularity, tz));
      Object.values(charts).forEach(ch => { ch.data.labels = labels; });
      charts.traffic.data.datasets[0].data = rows.map(x => x.impressions);
      charts.traffic.data.datasets[1].data = rows.map(x => x.clicks);
      charts.sales.data.datasets[0].data = rows.map(x => x.conversions);
      charts.sales.data.datasets[1].data = rows.map(x => Number(x.revenue));
      charts.rates.data.datasets[0].data = rows.map(x => 100 * x.ctr);
      charts.rates.data.datasets[1].data = rows.map(x => 100 * x.cvr);
      Object.values(charts).forEach(ch => ch.update('none'));
      $('rows').replaceChildren(...s.rows.slice().reverse().map(x => {
        const tr = document.createElement('tr');
        [x.bucket, nf.format(x.impressions), nf.format(x.clicks), nf.format(x.conversions), x.revenue, pct(x.ctr), pct(x.cvr),
          nf.format(x.suspect_clicks), nf.format(x.invalid), x.spend]
          .forEach(v => tr.appendChild(cell(v)));
        return tr;
      }));
      $('rows-note').textContent = plural(s.rows.length, 'bucket', 'buckets') + ' with traffic (newest first); time zone ' + tz;
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    } catch (e) {
      message.textContent = 'Cannot load the report: ' + e.message;
      message.hidden = false;
    }
  }

  async function init() {
    const q = new URLSearchParams(location.search);
    const zones = browserZone === 'UTC' ? ['UTC'] : ['UTC', browserZone];
    $('tz').replaceChildren(...zones.map(z => new Option(z, z)));
    $('tz').value = q.get('tz') && zones.includes(q.get('tz')) ? q.get('tz') : 'UTC';
    if (q.get('range') && (RANGES[q.get('range')] || q.get('range') === 'custom')) $('range').value = q.get('range');
    if (q.get('from')) $('from').value = q.get('from').substring(0, 16);
    if (q.get('to')) $('to').value = q.get('to').substring(0, 16);
    $('granularity').value = q.get('granularity') || DEFAULT_GRANULARITY[$('range').value] || 'hour';
    const custom = () => { const on = $('range').value === 'custom'; $('from-label').hidden = !on; $('to-label').hidden = !on; };
    custom();
    $('range').addEventListener('change', () => {
      custom();
      if (DEFAULT_GRANULARITY[$('range').value]) $('granularity').value = DEFAULT_GRANULARITY[$('range').value];
      if ($('range').value !== 'custom') show();
    });
    ['campaign', 'granularity', 'tz'].forEach(id => $(id).addEventListener('change', () => show()));
    $('controls').addEventListener('submit', show);
    try {
      const list = await getJson('/api/v1/campaigns');
      list.campaigns.forEach(c => { campaigns[c.id] = c; });
      $('campaign').replaceChildren(...list.campaigns.map(c => new Option(c.id + ' — ' + c.name + ' (' + c.currency + ')', c.id)));
      if (!list.campaigns.length) throw new Error('the catalog has no campaign');
      if (q.get('campaign') && campaigns[q.get('campaign')]) $('campaign').value = q.get('campaign');
      show();
    } catch (e) {
      $('message').textContent = 'Cannot list the campaigns: ' + e.message;
      $('message').hidden = false;
    }
  }

  init();
})();
