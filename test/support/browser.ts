/**
 * A small browser for login flows: it keeps cookies per origin and path, follows redirects one by
 * one, and fills in and submits the form a page shows (the provider's login and consent pages), as
 * a person clicking through would.
 */

interface Cookie {
  origin: string;
  name: string;
  value: string;
  path: string;
}

const decode = (html: string): string => html.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

const attribute = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match?.[1] === undefined ? undefined : decode(match[1]);
};

/** The first form of a page: where it posts and the values of its named inputs. */
export function formOf(html: string): { action: string; fields: Record<string, string> } | undefined {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = attribute(form[0].slice(0, form[0].indexOf('>') + 1), 'action') ?? '';
  const fields: Record<string, string> = {};
  for (const [input] of (form[1] ?? '').matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input, 'name');
    if (name) fields[name] = attribute(input, 'value') ?? '';
  }
  return { action, fields };
}

export interface Step {
  url: string;
  status: number;
  location: string | undefined;
}

export class Browser {
  private readonly cookies: Cookie[] = [];
  /** Every request made, in order: what a test may check of the flow. */
  readonly history: Step[] = [];

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = this.cookies
      .filter((c) => c.origin === target.origin && target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
      body: init.body,
    });
    for (const header of response.headers.getSetCookie()) this.keep(target, header);
    this.history.push({ url, status: response.status, location: response.headers.get('location') ?? undefined });
    return response;
  }

  private keep(from: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) || '/';
    const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()));
    const index = this.cookies.findIndex((c) => c.origin === from.origin && c.name === name && c.path === path);
    if (index >= 0) this.cookies.splice(index, 1);
    if (!expired) this.cookies.push({ origin: from.origin, name, value, path });
  }

  /** The value of a cookie the browser holds for an origin, if any. */
  cookie(origin: string, name: string): string | undefined {
    return this.cookies.find((c) => c.origin === origin && c.name === name)?.value;
  }

  /**
   * Opens `url` and goes on as a person would: follows each redirect, and on a page with a form
   * submits it with `fill` added to its own fields, until a redirect leads to a URL starting with
   * `until`. Returns that URL without requesting it.
   */
  async walk(url: string, until: string, fill: Record<string, string> = {}): Promise<string> {
    let response = await this.request(url);
    let current = url;
    for (let step = 0; step < 20; step++) {
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).href;
        if (current.startsWith(until)) return current;
        response = await this.request(current);
        continue;
      }
      const html = await response.text();
      const form = response.status === 200 ? formOf(html) : undefined;
      if (!form) throw new Error(`the flow stopped at ${current} with ${response.status}: ${html.slice(0, 300)}`);
      const fields = { ...form.fields, ...(form.fields.prompt === 'login' ? fill : {}) };
      current = new URL(form.action, current).href;
      response = await this.request(current, { method: 'POST', body: new URLSearchParams(fields) });
    }
    throw new Error(`the flow did not reach ${until} in 20 steps`);
  }
}
