// The page is the URL: `/` (the inbox) or `/apps/{app}/forms/{form}` (a form's records),
// so a reload, a link or a new sign-in after the session ended lands where the user was.
import { useEffect, useState } from 'react';

export type Page = { kind: 'inbox' } | { kind: 'list'; app: string; form: string };

export function parse(path: string): Page {
  const list = /^\/apps\/([^/]+)\/forms\/([^/]+)\/?$/.exec(path);
  return list ? { kind: 'list', app: decodeURIComponent(list[1] ?? ''), form: decodeURIComponent(list[2] ?? '') } : { kind: 'inbox' };
}

export function href(page: Page): string {
  return page.kind === 'list' ? `/apps/${encodeURIComponent(page.app)}/forms/${encodeURIComponent(page.form)}` : '/';
}

/// The current page, and a way to go to another (kept in the browser's history).
export function usePage(): [Page, (page: Page) => void] {
  const [page, setPage] = useState(() => parse(window.location.pathname));
  useEffect(() => {
    const back = () => setPage(parse(window.location.pathname));
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  return [
    page,
    (next) => {
      window.history.pushState(null, '', href(next));
      setPage(next);
    },
  ];
}
