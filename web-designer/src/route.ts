// The page is the URL: `/` (the inbox), `/apps/{app}/forms/{form}` (a form's records),
// `…/new` (a new record) or `…/records/{id}` (a record's page), so a reload, a link or a
// new sign-in after the session ended lands where the user was.
import { useEffect, useState } from 'react';

export type Page =
  | { kind: 'inbox' }
  | { kind: 'list'; app: string; form: string }
  | { kind: 'new'; app: string; form: string }
  | { kind: 'record'; app: string; form: string; id: number };

const FORM = /^\/apps\/([^/]+)\/forms\/([^/]+)(?:\/(new|records\/(\d+)))?\/?$/;

export function parse(path: string): Page {
  const m = FORM.exec(path);
  if (!m) return { kind: 'inbox' };
  const app = decodeURIComponent(m[1] ?? '');
  const form = decodeURIComponent(m[2] ?? '');
  if (m[3] === 'new') return { kind: 'new', app, form };
  if (m[4]) return { kind: 'record', app, form, id: Number(m[4]) };
  return { kind: 'list', app, form };
}

export function href(page: Page): string {
  if (page.kind === 'inbox') return '/';
  const list = `/apps/${encodeURIComponent(page.app)}/forms/${encodeURIComponent(page.form)}`;
  if (page.kind === 'new') return `${list}/new`;
  if (page.kind === 'record') return `${list}/records/${page.id}`;
  return list;
}

/// What stops the user leaving a page with unsaved changes: a question to confirm, or
/// nothing. A record form sets it while it holds changes; the browser's own warning
/// covers closing the tab or reloading.
let leaving: string | null = null;

export function guardLeaving(question: string | null) {
  leaving = question;
}

function mayLeave(): boolean {
  if (leaving === null) return true;
  if (!window.confirm(leaving)) return false;
  leaving = null;
  return true;
}

window.addEventListener('beforeunload', (event) => {
  if (leaving !== null) event.preventDefault();
});

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
      if (!mayLeave()) return;
      window.history.pushState(null, '', href(next));
      setPage(next);
    },
  ];
}
