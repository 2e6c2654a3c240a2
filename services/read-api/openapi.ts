/**
 * The OpenAPI 3.1 document of the read API, served at /openapi.json. Response schemas are
 * closed (additionalProperties: false), so tests/integration/read-api.test.ts can validate every
 * answer against this document with a JSON Schema validator and catch a field added on one
 * side only.
 */
export interface ReadApiDocumentOptions {
  readonly maxPageSize: number;
  readonly version: string;
}

const nullable = (schema: object): object => ({ anyOf: [schema, { type: 'null' }] });
const closed = (properties: Record<string, object>, required: readonly string[] = Object.keys(properties)): object => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const dateTime = { type: 'string', description: 'UTC, YYYY-MM-DD hh:mm:ss.sss' };

const ERROR_RESPONSES = {
  '400': { description: 'A parameter is wrong; `parameter` names it.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  '401': { description: 'No API key, or an invalid or revoked one.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  '403': { description: "The store is outside the key's scope (a terminal key reads its own store only).", content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  '404': { description: 'No such store in the store master data.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
};

export function buildReadApiDocument(options: ReadApiDocumentOptions): object {
  const storeParam = { name: 'store_id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' } };
  const limit = { name: 'limit', in: 'query', required: false, description: `Rows per page, 1 to ${options.maxPageSize} (default 50).`, schema: { type: 'integer', minimum: 1, maximum: options.maxPageSize } };
  const cursor = { name: 'cursor', in: 'query', required: false, description: "The previous page's next_cursor, unchanged; absent for the first page.", schema: { type: 'string' } };
  const sku = { name: 'sku', in: 'query', required: false, description: 'Only this product.', schema: { type: 'string' } };
  const list = (summary: string, operationId: string, item: string, parameters: object[], description: string): object => ({
    get: {
      operationId,
      summary,
      description,
      security: [{ apiKey: [] }],
      parameters: [storeParam, ...parameters],
      responses: {
        '200': { description: 'One page, in a stable order; next_cursor is null on the last page.', content: { 'application/json': { schema: { $ref: `#/components/schemas/${item}Page` } } } },
        ...ERROR_RESPONSES,
      },
    },
  });
  const pageOf = (item: string): object => closed({ store_id: { type: 'string' }, items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } }, next_cursor: nullable({ type: 'string' }) });

  return {
    openapi: '3.1.0',
    info: {
      title: 'ShelfStream read API',
      version: options.version,
      description:
        'What ShelfStream computed for a store, for its store systems: 7-day demand forecasts with P10/P50/P90, reorder advice, the stock-out risk list, alerts and plain-text insights. ' +
        'Authenticate with an ingest API key (`shelfstream ingest keys create`): a terminal key reads its own store, a back-office key every store.',
    },
    paths: {
      '/v1/stores/{store_id}/forecasts': list('Demand forecasts', 'listForecasts', 'Forecast', [sku, { name: 'from', in: 'query', required: false, schema: date }, { name: 'to', in: 'query', required: false, schema: date }, limit, cursor], "Each product's forecasts from its latest forecast origin (7 days), ordered by sku and date; from/to filter the forecast date (store local dates)."),
      '/v1/stores/{store_id}/reorder-advice': list('Reorder advice', 'listReorderAdvice', 'ReorderAdvice', [sku, limit, cursor], "Each product's newest reorder advice, ordered by sku."),
      '/v1/stores/{store_id}/at-risk': list(
        'Products at risk of running out',
        'listAtRisk',
        'AtRisk',
        [{ name: 'min_risk', in: 'query', required: false, description: 'Only products whose risk is at least this (0 to 1, default 0).', schema: { type: 'number', minimum: 0, maximum: 1 } }, limit, cursor],
        'Products with a known stock-out risk, riskiest first (then by sku), with hours to stock-out, units on hand and the newest reorder advice.',
      ),
      '/v1/stores/{store_id}/alerts': list('Alerts', 'listAlerts', 'Alert', [{ name: 'state', in: 'query', required: false, schema: { type: 'string', enum: ['open', 'resolved', 'all'], default: 'open' } }, limit, cursor], 'Stock-out and anomaly alerts, newest raised first.'),
      '/v1/stores/{store_id}/insights': {
        get: {
          operationId: 'listInsights',
          summary: 'Plain-text insights',
          description: 'Top movers of the last 7 days against the 7 before, the weekday pattern of the last 28 days and what changed since last week, up to the last day with sales.',
          security: [{ apiKey: [] }],
          parameters: [storeParam],
          responses: { '200': { description: 'The insights (few: not paginated).', content: { 'application/json': { schema: { $ref: '#/components/schemas/Insights' } } } }, ...ERROR_RESPONSES },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An ingest API key: `Authorization: Bearer ssk_...`' } },
      schemas: {
        Error: closed(
          { error: { type: 'string', enum: ['invalid_parameter', 'unauthorized', 'forbidden_store', 'unknown_store', 'not_found', 'internal_error'] }, message: { type: 'string' }, parameter: { type: 'string' } },
          ['error', 'message'],
        ),
        Forecast: closed({
          sku: { type: 'string' },
          forecast_date: date,
          origin_date: { ...date, description: 'Last day of history the forecast used' },
          horizon_days: { type: 'integer', minimum: 1, maximum: 7 },
          p10: { type: 'number', description: 'Units: 10% chance demand is below' },
          p50: { type: 'number', description: 'Units: median' },
          p90: { type: 'number', description: 'Units: 90% chance demand is below' },
          model_version: { type: 'string' },
        }),
        ForecastPage: pageOf('Forecast'),
        ReorderAdvice: closed({
          sku: { type: 'string' },
          as_of_date: date,
          on_hand: { type: 'integer' },
          on_order: { type: 'integer' },
          reorder_point: { type: 'number' },
          order_quantity: { type: 'integer', description: 'Units to order now; 0 above the reorder point' },
          lead_time_days: { type: 'integer' },
          service_level: { type: 'number' },
          expected_demand_lead_time: { type: 'number', description: 'Units expected to sell over lead time and review period' },
          model_version: { type: 'string' },
        }),
        ReorderAdvicePage: pageOf('ReorderAdvice'),
        AtRisk: closed({
          sku: { type: 'string' },
          risk: { type: 'number', minimum: 0, maximum: 1, description: 'Probability of running out before the next delivery' },
          hours_to_stockout: nullable({ type: 'number' }),
          on_hand: { type: 'integer' },
          on_hand_known: { type: 'boolean' },
          sales_rate_per_day: { type: 'number' },
          next_delivery_expected_at: dateTime,
          out_of_stock: { type: 'boolean' },
          reorder_advice: nullable(closed({ order_quantity: { type: 'integer' }, reorder_point: { type: 'number' }, as_of_date: date })),
          as_of: dateTime,
        }),
        AtRiskPage: pageOf('AtRisk'),
        Alert: closed({
          alert_id: { type: 'string' },
          alert_type: { type: 'string' },
          severity: { type: 'string', enum: ['INFO', 'WARNING', 'CRITICAL'] },
          sku: nullable({ type: 'string' }),
          terminal_id: nullable({ type: 'string' }),
          score: { type: 'number' },
          reason: { type: 'string' },
          state: { type: 'string', enum: ['open', 'resolved'] },
          raised_at: dateTime,
          resolved_at: nullable(dateTime),
        }),
        AlertPage: pageOf('Alert'),
        Insight: closed({
          kind: { type: 'string', enum: ['top_mover', 'weekday_pattern', 'week_over_week'] },
          sku: nullable({ type: 'string' }),
          trend: nullable({ type: 'string', enum: ['up', 'down', 'flat'] }),
          text: { type: 'string' },
          figures: { type: 'object', additionalProperties: { type: ['number', 'string'] } },
        }),
        Insights: closed({ store_id: { type: 'string' }, as_of: nullable(date), items: { type: 'array', items: { $ref: '#/components/schemas/Insight' } } }),
      },
    },
  };
}
