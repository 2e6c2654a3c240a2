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
  const DAY_S = 86_400;

  // ── what a person reads: column labels and values (services/web/column-labels.ts) ──────────
  // The raw value stays in each cell's data-value and the raw name in each header's data-column
  // (what the CSV holds, what scripts and tests read); these only change what is shown.
  let reportingCurrency = '';
  /** The IANA zone times are written in: the chosen store's, else UTC. */
  let timeZone = 'UTC';
  const isMoney = (panel, column) => reportingCurrency !== '' && (panel.money || []).includes(column);
  const labelOf = (panel, column) => (panel.labels && panel.labels[column]) || { label: column };
  const header = (panel, column) => (isMoney(panel, column) ? `${labelOf(panel, column).label} (${reportingCurrency})` : labelOf(panel, column).label);

  const timeFormats = new Map();
  function timeFormat(zone) {
    let f = timeFormats.get(zone);
    if (!f) {
      const options = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
      // A zone the browser does not know (a typo in master data) would throw on every cell: UTC then.
      try {
        f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: zone });
      } catch {
        f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' });
      }
      timeFormats.set(zone, f);
    }
    return f;
  }
  const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
  const inWords = (code) => {
    const s = String(code).replace(/_/g, ' ').toLowerCase();
    return s.charAt(0).toUpperCase() + s.slice(1);
  };

  /** A cell as shown: its text, and a tooltip when the text alone could mislead. */
  function shownValue(panel, column, v) {
    if (v === null || v === '') return { text: '–' };
    switch (labelOf(panel, column).format) {
      case 'share':
        return isNumber(v) ? { text: `${(v * 100).toFixed(1)} %` } : { text: String(v) };
      case 'utc_time': {
        const at = Date.parse(`${String(v).replace(' ', 'T')}Z`);
        if (Number.isNaN(at)) return { text: String(v) };
        return { text: `${timeFormat(timeZone).format(at)}${timeZone === 'UTC' ? ' UTC' : ''}`, title: `${v} UTC` };
      }
      case 'day': {
        const at = Date.parse(`${v}T00:00:00Z`);
        return Number.isNaN(at) ? { text: String(v) } : { text: DAY_FORMAT.format(at), title: String(v) };
      }
      case 'words':
        return { text: inWords(v) };
      case 'yes_no':
        return { text: v === true || v === 'true' || v === 1 ? 'yes' : 'no' };
      case 'stock':
        return isNumber(v) && v < 0 ? { text: `${v} (recount)`, title: 'More units were sold than counted and received since the last count: the count is due again.', negative: true } : { text: String(v) };
      default:
        return { text: String(v) };
    }
  }

  /** A bar's label on screen: its label columns (or the x column) as shown, joined. */
  function barLabels(panel) {
    const columns = panel.barLabel || [panel.x];
    const at = columns.map((c) => panel.columns.indexOf(c));
    return panel.rows.map((r) => at.map((i, k) => (i < 0 ? '' : shownValue(panel, columns[k], r[i]).text)).filter((t) => t !== '' && t !== '–').join(' · '));
  }

  function chartData(panel) {
    const xi = panel.columns.indexOf(panel.x);
    const seriesIdx = panel.series.map((s) => panel.columns.indexOf(s));
    const categorical = panel.chart === 'bar';
    const xs = panel.rows.map((r, i) => (categorical ? i : dayToSeconds(String(r[xi]))));
    const ys = seriesIdx.map((si) => panel.rows.map((r) => (isNumber(r[si]) ? r[si] : null)));
    const daily = !categorical && panel.rows.every((r) => String(r[xi]).length === 10);
    return { data: [xs, ...ys], labels: categorical ? barLabels(panel) : [], daily };
  }

  /** Ticks of a daily series: whole days only (uPlot's time scale would add hours between two days), as many as fit. */
  function dayAxis(xs, width) {
    const first = xs[0];
    const span = Math.max(1, Math.round((xs[xs.length - 1] - first) / DAY_S));
    const fit = Math.max(1, Math.floor((width - 60) / 70));
    const step = [1, 2, 7, 14, 28, 91].find((s) => span / s < fit) || Math.ceil(span / fit);
    const ticks = [];
    for (let d = 0; d <= span; d += step) ticks.push(first + d * DAY_S);
    return {
      splits: () => ticks,
      values: (_u, splits) => splits.map((v) => DAY_FORMAT.format(v * 1000)),
    };
  }

  const CHAR_PX = 7;
  // uPlot writes "--" for every series while nothing is hovered: the legend shows names only until then.
  const quietLegend = (u) => u.root.classList.toggle('idle', u.cursor.idx == null);

  function drawChart(target, panel) {
    const { data, labels, daily } = chartData(panel);
    const width = Math.max(320, target.clientWidth || 520);
    const bars = panel.chart === 'bar';
    const band = panel.chart === 'band';
    // Labels that would not fit under their bar (store x product, long categories): bars go across, labels on the left.
    const longest = labels.reduce((n, l) => Math.max(n, l.length), 0);
    const across = bars && longest * CHAR_PX > (width - 60) / Math.max(1, labels.length) - 8;
    const series = [{ label: labelOf(panel, panel.x).label }];
    if (bars) series[0].value = (_u, i) => (i == null || labels[i] === undefined ? '' : labels[i]);
    else if (daily) series[0].value = (_u, v) => (v == null ? '' : DAY_FORMAT.format(v * 1000));
    panel.series.forEach((name, i) => {
      const s = { label: header(panel, name), stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false };
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
    const units = new Set(panel.series.map((name) => labelOf(panel, name).unit));
    const unit = moneyAxis ? reportingCurrency : units.size === 1 ? [...units][0] : undefined;
    const yAxis = unit ? { label: unit } : {};
    const opts = {
      width,
      height: across ? Math.max(160, labels.length * 24 + 50) : 240,
      series,
      scales: { x: { time: !bars } },
      axes: [{}, yAxis],
      legend: { show: true },
      hooks: { ready: [quietLegend], setLegend: [quietLegend] },
    };
    if (bars) {
      const barAxis = { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && labels[v] !== undefined ? labels[v] : '')), splits: () => labels.map((_l, i) => i), rotate: 0, grid: { show: false } };
      opts.scales.x.range = () => [-0.5, Math.max(0.5, labels.length - 0.5)];
      // Bars are read by their length: the axis starts at zero.
      opts.scales.y = { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] };
      if (across) {
        // The first row at the top, as in the data table.
        opts.scales.x.ori = 1;
        opts.scales.x.dir = -1;
        opts.scales.y.ori = 0;
        // At most 45% of the width for the labels: a longer one is cut with an ellipsis (whole in the legend on hover and in the data table).
        // 24 px beside the text: at 16 a label of wide letters ("Wed 11 Nov") lost its first one at the edge.
        const size = Math.min(Math.round(width * 0.45), longest * CHAR_PX + 24);
        const fits = Math.floor((size - 24) / CHAR_PX);
        const cut = (l) => (l.length > fits ? `${l.slice(0, fits - 1)}…` : l);
        // The values now run across: uPlot's spacing for a vertical axis (30 px) ran labels such as
        // "1,000" into each other, so they are spaced by the width of the longest.
        opts.axes = [{ ...barAxis, values: (u, splits) => barAxis.values(u, splits).map(cut), side: 3, size }, { ...yAxis, side: 2, space: 72 }];
      } else {
        opts.axes = [barAxis, yAxis];
      }
    } else if (daily && data[0].length > 0) {
      opts.axes = [dayAxis(data[0], width), yAxis];
      // Room for the last day's label, which is centred on the plot's right edge.
      opts.padding = [null, 32, null, null];
    }
    if (band) opts.bands = [{ series: [3, 1], fill: 'rgba(31,119,180,0.15)' }];
    return new uPlot(opts, data, target);
  }

  /**
   * A panel's rows as a table: headers in words with the raw name in data-column, cells as shown
   * with the raw value in data-value. Identifier columns nobody reads are kept but hidden.
   */
  function dataTable(panel) {
    const hidden = panel.columns.map((c) => labelOf(panel, c).hidden === true);
    const numeric = panel.columns.map((_c, i) => panel.rows.some((r) => isNumber(r[i])));
    const head = el('tr', {}, panel.columns.map((c, i) => el('th', { 'data-column': c, text: header(panel, c), class: numeric[i] ? 'num' : '', ...(hidden[i] ? { hidden: '' } : {}) })));
    const rows = panel.rows.map((r) =>
      el('tr', {}, r.map((v, i) => {
        const shown = shownValue(panel, panel.columns[i], v);
        // A sentence (an alert's reason) wraps instead of pushing the table out of its card.
        // Aligned as its column is, not as its own value: an unknown value's dash in a column of
        // numbers stood at the left edge of a right-aligned column.
        const attrs = { 'data-value': v === null ? '' : String(v), text: shown.text, class: `${numeric[i] ? 'num' : ''}${shown.negative ? ' negative' : ''}${shown.text.length > 40 ? ' long' : ''}` };
        if (shown.title) attrs.title = shown.title;
        if (hidden[i]) attrs.hidden = '';
        return el('td', attrs);
      })),
    );
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

  /**
   * The acknowledge and snooze buttons, one cell at the end of each open alert's row (not a
   * column: no data-column, nothing of the CSV). The alert's id, which nobody reads, is the row's
   * data-alert and the buttons' tooltip.
   */
  function addAlertActions(panel, table) {
    const idColumn = panel.columns.indexOf('alert_id');
    table.querySelector('thead tr').append(el('th', { 'data-actions': '', text: 'Action' }));
    table.querySelectorAll('tbody tr').forEach((tr, i) => {
      const alertId = String(panel.rows[i][idColumn]);
      tr.dataset.alert = alertId;
      const status = el('span', { class: 'status', 'data-action-status': alertId });
      const acknowledge = el('button', { type: 'button', 'data-acknowledge': alertId, title: alertId, text: 'Acknowledge' });
      acknowledge.addEventListener('click', () => actOnAlert(alertId, 'acknowledge', {}, status));
      const snoozes = SNOOZES.map(([label, minutes]) => {
        const button = el('button', { type: 'button', 'data-snooze': alertId, 'data-minutes': String(minutes), title: alertId, text: label });
        button.addEventListener('click', () => actOnAlert(alertId, 'snooze', { minutes }, status));
        return button;
      });
      tr.append(el('td', { class: 'alert-actions', 'data-actions': '' }, [acknowledge, ...snoozes, status]));
    });
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
      // A table wider than its card scrolls inside it; a table of many columns takes the page's width.
      const scroller = el('div', { class: 'table-scroll' }, [table]);
      if (panel.chart === 'table') {
        if (dashboardName === 'store-manager' && panel.id === 'open_alerts' && panel.rows.length > 0) addAlertActions(panel, table);
        if (panel.columns.filter((c) => !labelOf(panel, c).hidden).length > 5) section.classList.add('wide');
        section.append(tools, scroller);
      } else {
        const chart = el('div', { class: 'chart', 'data-chart': panel.id });
        section.append(chart, tools, el('details', {}, [el('summary', { text: 'Data table' }), scroller]));
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
      const store = data.choices.stores.find((st) => st.store_id === data.filters.store);
      timeZone = (store && store.time_zone) || 'UTC';
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
