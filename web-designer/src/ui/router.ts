// The page is the URL, so a reload, a link or a new sign-in after the session ended lands
// where the user was. Screens declare their URL patterns in the route table (`routes.tsx`);
// this is the matching, the links, going somewhere (kept in the browser's history) and the
// guard against leaving unsaved changes.
import { createContext, useContext, useEffect, useState } from 'react';

/// A pattern's `:name` parts, as the URL gave them (decoded).
export type Params = Record<string, string>;

/// The params of `path` if it matches `pattern` (`/apps/:app/forms/:form`), else null.
export function match(pattern: string, path: string): Params | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  if (want.length !== got.length) return null;
  const params: Params = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? '';
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(value);
      } catch {
        return null;
      }
    } else if (part !== value) return null;
  }
  return params;
}

/// The URL of `pattern` with its params filled in (encoded).
export function href(pattern: string, params: Params = {}): string {
  return pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/// The runtime's URLs, by what they show.
export const paths = {
  inbox: () => '/',
  list: (app: string, form: string) => href('/apps/:app/forms/:form', { app, form }),
  create: (app: string, form: string) => href('/apps/:app/forms/:form/new', { app, form }),
  importFile: (app: string, form: string) => href('/apps/:app/forms/:form/import', { app, form }),
  record: (app: string, form: string, id: number) =>
    href('/apps/:app/forms/:form/records/:id', { app, form, id: String(id) }),
  outbox: (app: string) => href('/apps/:app/outbox', { app }),
  channels: (app: string) => href('/apps/:app/channels', { app }),
  dashboard: (app: string, dashboard: string) => href('/apps/:app/dashboards/:dashboard', { app, dashboard }),
  design: () => '/design',
};

/// What stops the user leaving a page with unsaved changes: a question to confirm, or
/// nothing. A form sets it while it holds changes; the browser's own warning covers closing
/// the tab or reloading.
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

if (typeof window !== 'undefined') {
  window.addEventListener('beforeunload', (event) => {
    if (leaving !== null) event.preventDefault();
  });
}

/// The current path, and a way to go to another.
export function usePath(): [string, (to: string) => void] {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const back = () => setPath(window.location.pathname);
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  return [
    path,
    (to) => {
      if (!mayLeave()) return;
      window.history.pushState(null, '', to);
      setPath(to);
    },
  ];
}

/// Going somewhere from deep inside a screen.
export const NavigateContext = createContext<(to: string) => void>(() => {});

export function useNavigate(): (to: string) => void {
  return useContext(NavigateContext);
}

/// A link that goes within the app (the browser's own for a new tab or window).
export function follow(go: (to: string) => void, to: string) {
  return {
    href: to,
    onClick: (e: { preventDefault: () => void; ctrlKey?: boolean; metaKey?: boolean; shiftKey?: boolean }) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      go(to);
    },
  };
}
