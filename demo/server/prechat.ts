/**
 * The optional pre-chat form (issue 15): sites listed in `PARLEY_PRECHAT` ask an anonymous visitor for a name, an
 * email address and consent to their privacy policy before the first message.
 */

/**
 * Parses `PARLEY_PRECHAT`: `site=https://site.example/privacy` entries, comma-separated. Only `https:` policy URLs:
 * the widget links to it from inside a customer's page, which must never carry a `javascript:` or plain-http link.
 * Throws an Error naming the bad entry.
 */
export function parsePrechat(value: string): Record<string, string> {
  const sites: Record<string, string> = {};
  for (const entry of value.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const at = entry.indexOf('=');
    const site = entry.slice(0, at).trim();
    const raw = entry.slice(at + 1).trim();
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {}
    if (at < 1 || !site || url?.protocol !== 'https:') {
      throw new Error(`PARLEY_PRECHAT: "${entry}" is not site=https://…/privacy (an https: privacy policy URL)`);
    }
    sites[site] = url.href;
  }
  return sites;
}
