/**
 * Follows redirects by hand the way a browser does, keeping each origin's
 * cookies, so a test can walk a provider sign-in without a real browser and
 * stop or tamper at any hop. Cookie attributes other than the name are
 * ignored: every hop here is same-machine loopback.
 */
export class RedirectBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  /**
   * GETs `url` and follows redirects until one points at `stopAt` (an
   * origin + path prefix) and returns that URL without fetching it.
   * `rewrite` may change any hop before it is fetched.
   */
  async walk(url: string, stopAt: (url: URL) => boolean, rewrite: (url: URL) => URL = (next) => next): Promise<URL> {
    let current = new URL(url);
    for (let hop = 0; hop < 20; hop++) {
      current = rewrite(current);
      if (stopAt(current)) return current;
      const response = await this.get(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new Error(`${current.href} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
      }
      await response.arrayBuffer();
      current = new URL(location, current);
    }
    throw new Error('too many redirects');
  }

  async get(url: URL, headers: Record<string, string> = {}): Promise<Response> {
    const cookies = [...(this.jar.get(url.origin) ?? new Map())].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: { ...headers, ...(cookies ? { cookie: cookies } : {}) } });
    this.keep(url, response);
    return response;
  }

  /** Takes the cookies a response set, e.g. one the test fetched itself. */
  keep(url: URL, response: Response): void {
    const cookies = this.jar.get(url.origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(url.origin, cookies);
  }
}
