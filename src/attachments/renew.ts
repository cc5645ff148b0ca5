import { authHeaders, type UploadAuth } from './upload';

// Signed file URLs expire (`PARLEY_FILE_URL_TTL_MINUTES`); a widget or console tab open longer than that asks the
// gateway for fresh ones (`POST /files/<id>/urls`, token in a header) when a link is clicked or a thumbnail fails.
// DOM handlers only, no hooks: the widget's lazy attachment chunk and the console share them.

export interface FreshUrls {
  url: string;
  thumbUrl?: string;
}

/** Whether a signed URL's `exp` (seconds) is past, or within 5 s of it (the click would race the expiry). */
export function urlExpired(url: string, now = Date.now()): boolean {
  const exp = /[?&]exp=(\d+)/.exec(url);
  return exp !== null && Number(exp[1]) * 1000 <= now + 5000;
}

/** Fresh signed URLs of file `id`, or undefined when refused (not the caller's file, gone) or offline. */
export async function freshUrls(gateway: string, auth: UploadAuth, id: string): Promise<FreshUrls | undefined> {
  try {
    const res = await fetch(`${gateway}/files/${encodeURIComponent(id)}/urls`, {
      method: 'POST',
      headers: authHeaders(auth),
    });
    const body = (await res.json()) as { ok: boolean } & FreshUrls;
    return body.ok ? { url: body.url, ...(body.thumbUrl ? { thumbUrl: body.thumbUrl } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Handlers for one file's link (and thumbnail): a click on an expired link swaps in fresh URLs, then clicks again;
 * a thumbnail that fails to load is re-signed once. `base` prefixes the gateway's relative paths.
 */
export function renewing(base: string, fresh: () => Promise<FreshUrls | undefined>) {
  const apply = (a: HTMLAnchorElement | null, img: HTMLImageElement | null, urls: FreshUrls) => {
    if (a) a.href = base + urls.url;
    if (img && urls.thumbUrl) img.src = base + urls.thumbUrl;
  };
  return {
    onClick(e: MouseEvent) {
      const a = e.currentTarget as HTMLAnchorElement;
      if (!urlExpired(a.href)) return;
      e.preventDefault();
      void fresh().then((urls) => {
        if (!urls || urlExpired(urls.url)) return;
        apply(a, a.querySelector('img'), urls);
        a.click();
      });
    },
    onError(e: Event) {
      const img = e.currentTarget as HTMLImageElement;
      if (img.dataset.renewed) return;
      img.dataset.renewed = '1';
      void fresh().then((urls) => urls && apply(img.closest('a'), img, urls));
    },
  };
}
