// AdGrid ops dashboard: polls /api/v1/ops/overview and /api/v1/pacing every second and draws what they answer.
'use strict';

(function () {
  const POLL_MS = 1000;
  const WINDOW_MS = 5 * 60 * 1000;
  const TYPES = ['impression', 'click', 'sale'];
  const TYPE_COLORS = { impression: '#4c6ef5', click: '#12b886', sale: '#f08c00' };
  const REASON_COLORS = ['#e03131', '#c2255c', '#9c36b5', '#f76707', '#a61e4d', '#862e9c', '#d9480f', '#5f3dc4'];
  let lastT = 0;
  const points = [];

  const $ = id => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  const num = n => (n === null || n === undefined) ? '–' : nf.format(n);
  const rate = r => (r === null || r === undefined) ? '–' : (r >= 100 ? nf.format(r) : nf1.format(r));
  const ms = v => (v === null || v === undefined) ? '–' : (v >= 100 ? nf.format(v) : v.toFixed(v >= 10 ? 1 : 2)) + ' ms';
  const secs = v => (v === null || v === undefined) ? '–' : v.toFixed(v >= 10 ? 0 : 1) + ' s';
  const pct = x => (100 * x).toFixed(2) + ' %';
  function bytes(b) {
    if (b === null || b === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return (i === 0 ? b : b.toFixed(1)) + ' ' + units[i];
  }
  const clock = t => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

  function lineChart(canvasId, datasets, yTitle, extra) {
    return new Chart($(canvasId), {
      type: 'line',
      data: { datasets: datasets.map(d => lineDataset(d.label, d.color, d.dash, d.axis)) },
      options: Object.assign({
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        spanGaps: false,
        interaction: { mode: 'index', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0 } },
        scales: {
          x: { type: 'linear', ticks: { callback: v => clock(v), maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
          y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle }, ticks: { maxTicksLimit: 6 } }
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } },
          tooltip: { callbacks: { title: items => items.length ? clock(items[0].parsed.x) : '' } }
        }
      }, extra || {})
    });
  }

  function lineDataset(label, color, dash, axis) {
    return { label, data: [], borderColor: color, backgroundColor: color, borderDash: dash || [], fill: false, yAxisID: axis || 'y' };
  }

  const charts = {
    types: lineChart('chart-types', TYPES.map(t => ({ label: t + 's', color: TYPE_COLORS[t] })), 'events/s'),
    outcomes: lineChart('chart-outcomes', [{ label: 'accepted', color: '#4c6ef5' }, { label: 'duplicates', color: '#868e96' }], 'events/s'),
    // Latency exists only for seconds with beacons: dots keep a lone reading visible.
    latency: lineChart('chart-latency', [{ label: 'p50', color: '#4c6ef5' }, { label: 'p99', color: '#e03131' }], 'ms',
      { elements: { point: { radius: 1.5 }, line: { borderWidth: 2, tension: 0 } } }),
    lag: lineChart('chart-lag', [{ label: 'lag', color: '#f08c00' }, { label: 'alarm', color: '#e03131', dash: [6, 4] }], 's'),
    flush: lineChart('chart-flush', [{ label: 'rows', color: '#12b886' }, { label: 'writes', color: '#4c6ef5' }, { label: 'failed writes', color: '#e03131' }], 'per s'),
    grid: lineChart('chart-grid', [{ label: 'events per call', color: '#4c6ef5', axis: 'y' }, { label: 'apply p99 (ms)', color: '#f08c00', axis: 'y1' }], 'events',
      { scales: {
        x: { type: 'linear', ticks: { callback: v => clock(v), maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
        y: { beginAtZero: true, title: { display: true, text: 'events' }, ticks: { maxTicksLimit: 6 } },
        y1: { beginAtZero: true, position: 'right', title: { display: true, text: 'ms' }, ticks: { maxTicksLimit: 6 }, grid: { drawOnChartArea: false } }
      },
      elements: { point: { radius: 1.5 }, line: { borderWidth: 2, tension: 0 } } })
  };
  const reasonIndex = {};

  function xy(field) {
    return points.map(p => ({ x: p.t, y: field(p) === undefined ? null : field(p) }));
  }

  function drawCharts(o) {
    const now = o.time;
    const min = now - WINDOW_MS;
    while (points.length && points[0].t < min) points.shift();
    TYPES.forEach((t, i) => { charts.types.data.datasets[i].data = xy(p => p.acceptedPerSecond[t] || 0); });
    charts.outcomes.data.datasets[0].data = xy(p => p.acceptedTotalPerSecond);
    charts.outcomes.data.datasets[1].data = xy(p => p.duplicatesPerSecond);
    points.forEach(p => Object.keys(p.rejectedPerSecond).forEach(reason => {
      if (reasonIndex[reason] === undefined) {
        const color = REASON_COLORS[Object.keys(reasonIndex).length % REASON_COLORS.length];
        reasonIndex[reason] = charts.outcomes.data.datasets.length;
        charts.outcomes.data.datasets.push(lineDataset('rejected: ' + reason, color, [4, 2]));
      }
    }));
    Object.keys(reasonIndex).forEach(reason => {
      charts.outcomes.data.datasets[reasonIndex[reason]].data = xy(p => p.rejectedPerSecond[reason] || 0);
    });
    charts.latency.data.datasets[0].data = xy(p => p.latencyP50Ms);
    charts.latency.data.datasets[1].data = xy(p => p.latencyP99Ms);
    charts.lag.data.datasets[0].data = xy(p => p.lagSeconds);
    charts.lag.data.datasets[1].data = points.length ? [{ x: min, y: o.writeBehind.lagAlarmSeconds }, { x: now, y: o.writeBehind.lagAlarmSeconds }] : [];
    charts.flush.data.datasets[0].data = xy(p => p.flushRowsPerSecond);
    charts.flush.data.datasets[1].data = xy(p => p.flushWritesPerSecond);
    charts.flush.data.datasets[2].data = xy(p => p.writeFailuresPerSecond);
    Object.values(charts).forEach(c => {
      c.options.scales.x.min = min;
      c.options.scales.x.max = now;
      c.update('none');
    });
    charts.grid.data.datasets[0].data = xy(p => p.gridBatchSizeMean);
    charts.grid.data.datasets[1].data = xy(p => p.gridBatchP99Ms);
    $('latency-absent').hidden = o.gateway.latencyReported;
    $('grid-absent').hidden = o.gateway.gridBatchReported;
  }

  function setStatus(level, text, problems) {
    const s = $('status');
    s.className = 'status ' + level;
    s.dataset.level = level;
    $('status-text').textContent = text;
    $('status-problems').replaceChildren(...problems.map(p => { const li = document.createElement('li'); li.textContent = p; return li; }));
    document.body.classList.toggle('state-red', level === 'red');
  }

  function drawStatus(o) {
    const level = o.status.level;
    const text = level === 'ok' ? 'All systems normal: events are counted and written to PostgreSQL.'
      : level === 'warn' ? 'Attention needed' : 'Trouble: ' + (o.status.problems[0] || 'see below');
    setStatus(level, text, level === 'red' ? o.status.problems.slice(1) : o.status.problems);
  }

  function setCard(card, bad) { $(card).classList.toggle('bad', !!bad); }

  function drawCards(o) {
    const p = o.now;
    $('events-rate').textContent = p ? rate(p.acceptedTotalPerSecond) : '–';
    $('events-split').textContent = p ? TYPES.map(t => t[0] + ' ' + rate(p.acceptedPerSecond[t] || 0)).join(' · ') : '';
    $('rejected-rate').textContent = p ? rate(p.rejectedTotalPerSecond) : '–';
    $('duplicates-rate').textContent = p ? 'duplicates ' + rate(p.duplicatesPerSecond) + ' / s' : '';
    $('latency-p99').textContent = o.gateway.latencyReported ? ms(p && p.latencyP99Ms) : 'n/a';
    $('latency-p50').textContent = o.gateway.latencyReported ? 'p50 ' + ms(p && p.latencyP50Ms) : 'not reported';
    const wb = o.writeBehind;
    $('lag').textContent = secs(wb.lagSeconds);
    $('backlog').textContent = wb.backlogKeys === null ? 'no data member' : num(wb.backlogKeys) + ' keys unwritten';
    setCard('card-lag', wb.lagSeconds !== null && wb.lagSeconds > wb.lagAlarmSeconds);
    $('flush-rate').textContent = p ? rate(p.flushRowsPerSecond) : '–';
    const db = o.database;
    $('database-state').textContent = db.state === 'up' ? 'PostgreSQL up' : db.state === 'down' ? 'PostgreSQL DOWN' : 'PostgreSQL: checking';
    setCard('card-flush', db.state === 'down' || wb.failing);
    const data = o.cluster.members.filter(m => !m.lite).length;
    $('members-count').textContent = o.cluster.members.length;
    $('cluster-safe').textContent = data + ' data · ' + (o.cluster.members.length - data) + ' lite · ' + (o.cluster.safe ? 'safe' : 'NOT safe');
    setCard('card-members', !o.cluster.safe || data === 0);
    const ru = o.rollup;
    $('rollup-lag').textContent = !ru ? '–' : ru.lagSeconds < 60 ? secs(ru.lagSeconds)
      : ru.lagSeconds < 3600 ? (ru.lagSeconds / 60).toFixed(0) + ' min' : (ru.lagSeconds / 3600).toFixed(1) + ' h';
    $('rollup-run').textContent = !ru ? 'PostgreSQL not read yet' : !ru.lastRun ? 'no run yet'
      : 'last run ' + clock(ru.lastRun) + ' · ' + num(ru.rowsRolled) + ' rows · '
        + num(ru.partitionsDropped) + ' partitions dropped';
    setCard('card-rollup', ru && ru.lagSeconds > ru.lagAlarmSeconds);
    $('in-flight').textContent = num(o.gateway.inFlight);
    $('dedup').textContent = bytes(wb.dedupBytes);
    $('dedup-identities').textContent = wb.dedupIdentities === null ? '' : num(wb.dedupIdentities) + ' identities';
    const t = o.totals;
    $('totals').textContent = 'Since start: ' + num(t.accepted) + ' counted (' + TYPES.map(x => num(t.acceptedByType[x] || 0) + ' ' + x + 's').join(', ')
      + '), ' + num(t.duplicates) + ' duplicates, ' + num(t.rejected) + ' rejected, ' + num(t.flushedRows) + ' rows written, '
      + num(t.writeFailures) + ' failed writes. Suspect clicks: '
      + (Object.keys(t.suspectByReason || {}).length === 0 ? 'none'
        : Object.entries(t.suspectByReason).map(([reason, n]) => num(n) + ' ' + reason.replace('_', ' ')).join(', '))
      + '. Invalid (known robots, never billed): ' + (Object.keys(t.invalidByReason || {}).length === 0 ? 'none'
        : Object.entries(t.invalidByReason).map(([reason, n]) => num(n) + ' ' + reason.replace('_', ' ')).join(', ')) + '.';
    $('totals').dataset.accepted = t.accepted;
  }

  function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }

  function drawMembers(o) {
    const rows = o.cluster.members.map(m => {
      const tr = document.createElement('tr');
      tr.appendChild(cell(m.address + (m.local ? ' (this)' : '')));
      const roles = document.createElement('td');
      roles.className = 'text';
      m.roles.forEach(r => { const s = document.createElement('span'); s.className = 'tag'; s.textContent = r; roles.appendChild(s); });
      if (m.writeBehindFailing) { const s = document.createElement('span'); s.className = 'tag bad'; s.textContent = 'write failing'; roles.appendChild(s); }
      tr.appendChild(roles);
      tr.appendChild(cell(num(m.partitions)));
      tr.appendChild(cell(num(m.entries)));
      tr.appendChild(cell(num(m.backupEntries)));
      tr.appendChild(cell(m.lite ? '' : num(m.backlogKeys)));
      tr.appendChild(cell(m.lite ? '' : bytes(m.dedupBytes)));
      const heap = document.createElement('td');
      const share = m.heapMax > 0 ? m.heapUsed / m.heapMax : 0;
      const bar = document.createElement('span');
      bar.className = 'heap' + (share > 0.85 ? ' high' : '');
      const fill = document.createElement('i');
      fill.style.width = Math.min(100, Math.round(share * 100)) + '%';
      bar.appendChild(fill);
      heap.appendChild(bar);
      heap.appendChild(document.createTextNode(bytes(m.heapUsed) + ' / ' + bytes(m.heapMax)));
      tr.appendChild(heap);
      tr.appendChild(cell(m.lite ? '' : secs(m.lagSeconds)));
      return tr;
    });
    Object.entries(o.cluster.unanswered).forEach(([member, reason]) => {
      const tr = document.createElement('tr');
      tr.appendChild(cell(member));
      const td = cell('no answer: ' + reason, 'text error');
      td.colSpan = 8;
      tr.appendChild(td);
      rows.push(tr);
    });
    $('members').replaceChildren(...rows);
    $('cluster-summary').textContent = o.cluster.members.length + ' members · ' + o.cluster.partitionCount + ' partitions';
  }

  function drawTop(o) {
    const top = o.top;
    const fill = (id, rows) => $(id).replaceChildren(...rows.map(r => {
      const tr = document.createElement('tr');
      [String(r.id), num(r.impressions), num(r.clicks), num(r.conversions), r.revenue, pct(r.ctr), num(r.suspect_clicks)].forEach(v => tr.appendChild(cell(v)));
      return tr;
    }));
    fill('top-campaigns', top.campaigns);
    fill('top-banners', top.banners);
    $('top-error').hidden = !top.error;
    $('top-error').textContent = top.error ? 'Top lists unavailable: ' + top.error : '';
    if (top.from) {
      const minutes = Math.round((Date.parse(top.to) - Date.parse(top.from)) / 60000);
      $('top-range').textContent = 'last ' + minutes + ' min, live';
      $('top-range-banners').textContent = 'last ' + minutes + ' min, live';
    }
  }

  // Budgets: GET /api/v1/pacing, the pacing monitor's latest state of every budgeted campaign.
  function bar(share) {
    const b = document.createElement('span');
    b.className = 'spent';
    const fill = document.createElement('i');
    fill.style.width = Math.max(0, Math.min(100, Math.round(share * 100))) + '%';
    b.appendChild(fill);
    return b;
  }

  // "billed of budget" with a bar, for a money pair given as decimal strings ("12.50").
  function ofBudget(billed, budget) {
    const td = document.createElement('td');
    td.className = 'text';
    if (budget === undefined || budget === null) { td.textContent = '–'; return td; }
    const b = Number(budget);
    td.appendChild(bar(b > 0 ? Number(billed || 0) / b : 1));
    td.appendChild(document.createTextNode((billed || '0') + ' of ' + budget));
    return td;
  }

  function drawBudgets(list) {
    const rows = list.campaigns.map(p => {
      const tr = document.createElement('tr');
      tr.className = p.state;
      tr.dataset.campaign = p.campaign;
      tr.appendChild(cell(String(p.campaign)));
      tr.appendChild(cell(p.state, 'text'));
      const today = ofBudget(p.billed_today, p.daily_budget);
      if (p.daily_budget === undefined) today.textContent = p.day + ': no daily budget';
      else today.insertBefore(document.createTextNode(p.day + ' '), today.firstChild);
      tr.appendChild(today);
      tr.appendChild(cell(p.billed_today));
      tr.appendChild(cell(num(p.over_budget_today)));
      tr.appendChild(ofBudget(p.billed, p.total_budget));
      tr.appendChild(cell(p.remaining === undefined ? '–' : p.remaining));
      tr.appendChild(cell(p.rate_micros_per_second === undefined ? '–' : (p.rate_micros_per_second / 1e6).toFixed(4)));
      tr.appendChild(cell(p.exhausts_at ? new Date(p.exhausts_at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'
        : p.state === 'exhausted' ? 'now' : '–', 'text'));
      return tr;
    });
    $('budgets').replaceChildren(...rows);
    $('budgets-none').hidden = rows.length > 0;
    const exhausted = list.campaigns.filter(p => p.state === 'exhausted').length;
    $('budgets-summary').textContent = list.campaigns.length + ' with a budget · ' + exhausted + ' exhausted';
    $('budgets-error').hidden = true;
  }

  async function pollBudgets(signal) {
    try {
      const r = await fetch('/api/v1/pacing', { signal, cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      drawBudgets(await r.json());
    } catch (e) {
      $('budgets-error').hidden = false;
      $('budgets-error').textContent = 'Budgets unavailable: ' + (e.name === 'AbortError' ? 'timeout' : e.message);
    }
  }

  function draw(o) {
    o.series.forEach(p => { if (p.t > lastT) { points.push(p); lastT = p.t; } });
    drawStatus(o);
    drawCards(o);
    drawCharts(o);
    drawMembers(o);
    drawTop(o);
    $('updated').textContent = 'updated ' + clock(o.time);
  }

  async function poll() {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5000);
    const budgets = pollBudgets(abort.signal);
    try {
      const r = await fetch('/api/v1/ops/overview?since=' + lastT, { signal: abort.signal, cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      draw(await r.json());
    } catch (e) {
      setStatus('red', 'Cannot reach the reporting API (' + (e.name === 'AbortError' ? 'timeout' : e.message) + ')', []);
      $('updated').textContent = 'not updated since ' + (lastT ? clock(lastT) : 'start');
    } finally {
      await budgets;
      clearTimeout(timer);
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
