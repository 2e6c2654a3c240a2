/*
 * The ShelfStream dashboards in the browser: sign-in, the filter bar, one uPlot chart and one data
 * table per panel (both drawn from the same rows the CSV link downloads), and the live feed
 * (server-sent events: the page redraws when new data becomes visible). Plain script, no build
 * step; uPlot comes from node_modules through the server.
 */
'use strict';

(function main() {
  const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];
  let csrfToken = '';

  async function api(path, init) {
    const response = await fetch(path, { credentials: 'same-origin', ...init });
    if (response.status === 401) {
      location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
      throw new Error('signed out');
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    return body;
  }

  // ── sign-in page ─────────────────────────────────────────────────────────────────────────
  function startLogin() {
    const form = document.getElementById('login-form');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const error = document.getElementById('login-error');
      error.textContent = '';
      const response = await fetch('/api/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: form.user.value, password: form.password.value }),
      });
      const body = await response.json();
      if (!response.ok) {
        error.textContent = body.message;
        return;
      }
      const next = new URLSearchParams(location.search).get('next');
      location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
    });
  }

  // ── dashboards ───────────────────────────────────────────────────────────────────────────
  const dashboardName = location.pathname.replace(/^\//, '');
  const FILTERS = ['region', 'store', 'category', 'from', 'to', 'sku'];

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function currentQuery() {
    const params = new URLSearchParams(location.search);
    for (const key of [...params.keys()]) if (!FILTERS.includes(key) || params.get(key) === '') params.delete(key);
    return params;
  }

  function fillSelect(select, values, chosen) {
    const keep = select.options[0];
    select.replaceChildren(keep);
    for (const v of values) select.append(el('option', { value: v.value, text: v.label }));
    select.value = chosen || '';
  }

  function showFilters(data) {
    const f = data.filters;
    fillSelect(document.getElementById('f-region'), data.choices.regions.map((r) => ({ value: r, label: r })), f.region);
    const stores = data.choices.stores.filter((s) => !f.region || s.region === f.region);
    fillSelect(document.getElementById('f-store'), stores.map((s) => ({ value: s.store_id, label: `${s.store_id} ${s.store_name}` })), f.store);
    fillSelect(document.getElementById('f-category'), data.choices.categories.map((c) => ({ value: c, label: c })), f.category);
    document.getElementById('f-from').value = f.from;
    document.getElementById('f-to').value = f.to;
    document.getElementById('f-sku').value = f.sku;
    document.getElementById('f-sku-label').hidden = dashboardName !== 'store-manager';
  }

  const isNumber = (v) => typeof v === 'number';
  const dayToSeconds = (d) => Date.parse(`${d.length === 10 ? `${d}T00:00:00Z` : d}`) / 1000;

  function chartData(panel) {
    const xi = panel.columns.indexOf(panel.x);
    const seriesIdx = panel.series.map((s) => panel.columns.indexOf(s));
    const categorical = panel.chart === 'bar';
    const xs = panel.rows.map((r, i) => (categorical ? i : dayToSeconds(String(r[xi]))));
    const ys = seriesIdx.map((si) => panel.rows.map((r) => (isNumber(r[si]) ? r[si] : null)));
    return { data: [xs, ...ys], labels: panel.rows.map((r) => String(r[xi])) };
  }

  function drawChart(target, panel) {
    const { data, labels } = chartData(panel);
    const width = Math.max(320, target.clientWidth || 520);
    const bars = panel.chart === 'bar';
    const band = panel.chart === 'band';
    const series = [{}];
    panel.series.forEach((name, i) => {
      const s = { label: withCurrency(panel, name), stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false };
      if (bars) {
        const n = panel.series.length;
        s.fill = COLORS[i % COLORS.length];
        s.paths = uPlot.paths.bars({ size: [n > 1 ? 0.4 : 0.7, 60], align: n > 1 ? (i === 0 ? -1 : 1) : 0 });
        s.points = { show: false };
      }
      if (band && (i === 0 || i === 2)) {
        s.stroke = '#9ecae1';
        s.width = 1;
        s.dash = [4, 4];
      }
      series.push(s);
    });
    const moneyAxis = panel.series.length > 0 && panel.series.every((name) => isMoney(panel, name));
    const yAxis = moneyAxis ? { label: reportingCurrency } : {};
    const opts = {
      width,
      height: 240,
      series,
      scales: { x: { time: !bars } },
      axes: bars
        ? [{ values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && labels[v] !== undefined ? labels[v] : '')), splits: () => labels.map((_l, i) => i), rotate: 0 }, yAxis]
        : [{}, yAxis],
      legend: { show: true },
    };
    if (bars) {
      opts.scales.x.range = () => [-0.5, Math.max(0.5, labels.length - 0.5)];
      // Bars are read by their length: the axis starts at zero.
      opts.scales.y = { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] };
    }
    if (band) opts.bands = [{ series: [3, 1], fill: 'rgba(31,119,180,0.15)' }];
    return new uPlot(opts, data, target);
  }

  // Money columns carry the reporting currency in their header and on their axis; the column's
  // own name stays in data-column (what tests and scripts read).
  let reportingCurrency = '';
  const isMoney = (panel, column) => reportingCurrency !== '' && (panel.money || []).includes(column);
  const withCurrency = (panel, column) => (isMoney(panel, column) ? `${column} (${reportingCurrency})` : column);

  function dataTable(panel) {
    const head = el('tr', {}, panel.columns.map((c) => el('th', { 'data-column': c, text: withCurrency(panel, c) })));
    const rows = panel.rows.map((r) => el('tr', {}, r.map((v) => el('td', { class: isNumber(v) ? 'num' : '', text: v === null ? '' : String(v) }))));
    return el('table', { 'data-table': panel.id }, [el('thead', {}, [head]), el('tbody', {}, rows)]);
  }

  // ── a store manager's acknowledgement and snooze of an open alert ─────────────────────────
  const SNOOZES = [
    ['Snooze 1 h', 60],
    ['Snooze 4 h', 240],
  ];

  async function actOnAlert(alertId, action, body, status) {
    status.textContent = 'sending…';
    try {
      const done = await api(`/api/alerts/${encodeURIComponent(alertId)}/${action}`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrfToken, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      status.textContent = done.action === 'SNOOZED' ? `snoozed until ${done.snoozed_until}` : 'acknowledged';
      status.dataset.done = done.action;
    } catch (e) {
      status.textContent = e.message;
      status.dataset.failed = 'true';
    }
  }

  /** Buttons beside the open alerts' table (not in it: the table is what the CSV holds). */
  function alertActions(panel) {
    const idColumn = panel.columns.indexOf('alert_id');
    const items = panel.rows.map((r) => {
      const alertId = String(r[idColumn]);
      const status = el('span', { class: 'status', 'data-action-status': alertId });
      const acknowledge = el('button', { type: 'button', 'data-acknowledge': alertId, text: 'Acknowledge' });
      acknowledge.addEventListener('click', () => actOnAlert(alertId, 'acknowledge', {}, status));
      const snoozes = SNOOZES.map(([label, minutes]) => {
        const button = el('button', { type: 'button', 'data-snooze': alertId, 'data-minutes': String(minutes), text: label });
        button.addEventListener('click', () => actOnAlert(alertId, 'snooze', { minutes }, status));
        return button;
      });
      return el('li', { 'data-alert': alertId }, [el('code', { text: alertId }), acknowledge, ...snoozes, status]);
    });
    return el('ul', { class: 'alert-actions', 'data-alert-actions': panel.id }, items);
  }

  function csvHref(panelId) {
    const q = currentQuery();
    return `/api/dashboards/${dashboardName}/panels/${panelId}.csv${q.toString() ? `?${q}` : ''}`;
  }

  function showPanels(data) {
    const container = document.getElementById('panels');
    container.replaceChildren();
    let charts = 0;
    for (const panel of data.panels) {
      const section = el('section', { class: 'panel', 'data-panel': panel.id }, [
        el('h2', { text: panel.title }),
        el('p', { class: 'caption', text: panel.caption }),
      ]);
      container.append(section);
      const table = dataTable(panel);
      const tools = el('p', { class: 'tools' }, [el('a', { href: csvHref(panel.id), download: '', 'data-csv': panel.id, text: 'Download CSV' })]);
      if (panel.error) section.append(el('p', { class: 'error', 'data-panel-error': panel.id, text: `Could not be read: ${panel.error}` }));
      else if (panel.rows.length === 0) section.append(el('p', { class: 'empty', text: 'No data for these filters yet.' }));
      if (panel.chart === 'table') {
        section.append(tools, table);
        if (dashboardName === 'store-manager' && panel.id === 'open_alerts' && panel.rows.length > 0) section.append(alertActions(panel));
      } else {
        const chart = el('div', { class: 'chart', 'data-chart': panel.id });
        section.append(chart, tools, el('details', {}, [el('summary', { text: 'Data table' }), table]));
        if (panel.rows.length > 0) {
          drawChart(chart, panel);
          charts += 1;
        }
      }
    }
    return charts;
  }

  let loading = 0;
  async function load() {
    const ticket = ++loading;
    const started = performance.now();
    const error = document.getElementById('error');
    try {
      const q = currentQuery();
      const data = await api(`/api/dashboards/${dashboardName}${q.toString() ? `?${q}` : ''}`);
      if (ticket !== loading) return;
      reportingCurrency = data.reporting_currency || '';
      error.textContent = '';
      document.getElementById('title').textContent = data.title;
      document.getElementById('audience').textContent = data.audience;
      document.title = `${data.title} · ShelfStream`;
      showFilters(data);
      const charts = showPanels(data);
      // What tests and the bench wait for: every chart drawn for the current filters.
      document.body.dataset.drawn = String(Number(document.body.dataset.drawn || 0) + 1);
      document.body.dataset.charts = String(charts);
      document.body.dataset.drawMs = String(Math.round(performance.now() - started));
      document.body.dataset.filters = JSON.stringify(data.filters);
    } catch (e) {
      error.textContent = e.message;
    }
  }

  function onFilterChange(event) {
    const params = currentQuery();
    const { name, value } = event.target;
    if (value === '') params.delete(name);
    else params.set(name, value);
    // A store outside the chosen region would show nothing: choosing a region clears the store.
    if (name === 'region') params.delete('store');
    if (name === 'store' || name === 'category') params.delete('sku');
    history.replaceState(null, '', `${location.pathname}${params.toString() ? `?${params}` : ''}`);
    void load();
  }

  function startLive() {
    const live = document.getElementById('live');
    const source = new EventSource('/api/live');
    source.addEventListener('open', () => (live.textContent = 'live'));
    source.addEventListener('changed', () => {
      live.textContent = `live · new data ${new Date().toLocaleTimeString()}`;
      void load();
    });
    source.addEventListener('signed_out', () => {
      source.close();
      location.href = '/login';
    });
    source.addEventListener('error', () => (live.textContent = 'reconnecting…'));
  }

  async function startDashboard() {
    const me = await api('/api/me');
    csrfToken = me.csrf_token;
    document.getElementById('who').textContent = me.user;
    const nav = document.getElementById('nav');
    for (const d of me.dashboards) nav.append(el('a', { href: `/${d.name}`, class: d.name === dashboardName ? 'current' : '', text: d.title }));
    document.getElementById('filters').addEventListener('change', onFilterChange);
    document.getElementById('sign-out').addEventListener('click', async () => {
      await api('/api/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrfToken } });
      location.href = '/login';
    });
    await load();
    startLive();
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (document.body.classList.contains('login')) startLogin();
    else void startDashboard();
  });
})();
