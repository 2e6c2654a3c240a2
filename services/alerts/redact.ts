/**
 * How a subscription URL is shown in logs, listings and the delivery log: scheme, host and port
 * only. Chat webhook URLs carry their credential in the path (hooks.slack.com/services/T/B/token,
 * Teams workflow signatures in the query), and other receivers often do the same, so no path or
 * query is ever shown.
 */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    const hasMore = parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '';
    return `${parsed.protocol}//${parsed.host}${hasMore ? '/***' : '/'}`;
  } catch {
    return '***';
  }
}
