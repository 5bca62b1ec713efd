// What a new record's form starts with: the values its address gives (`?customer=12`, a
// follow-up started from a customer's page) and what its fields' `prefill` says (`now`:
// the moment the form opens; `current_user`: the signed-in user's own record of a form of
// people, found on the server by its `user_field`). Each one the person may keep or change.
import { useContext, useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, type WorkspaceForm } from '../../api/client';
import { ShellContext, WorkspaceContext, ZoneContext } from '../../ui/contexts';
import { toWallClock } from '../../ui/format';

export interface Start {
  /// Still finding the user's own record.
  loading: boolean;
  /// Values as the API takes them.
  values: Record<string, unknown>;
}

export function useStart(app: string, form: WorkspaceForm, search: string): Start {
  const me = useContext(ShellContext)?.me.username ?? '';
  const zone = useContext(ZoneContext);
  const forms = useContext(WorkspaceContext)?.apps.find((a) => a.key === app)?.forms ?? [];
  const mine = form.fields.find((f) => f.prefill === 'current_user' && f.type === 'relation' && f.mode === 'visible');
  const people = forms.find((f) => f.key === mine?.form);
  const own = useQuery({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/records', { app, form: people?.key, own: me }],
    enabled: !!people?.user_field,
    queryFn: async () => {
      const filter = `${people?.user_field ?? ''}:eq:${me}`;
      const { data } = await api.GET('/api/v1/apps/{app}/forms/{form}/records', {
        params: { path: { app, form: people?.key ?? '' }, query: { filter, limit: 1, fields: people?.user_field ?? '' } },
      });
      return data?.items[0] ?? null;
    },
  });
  return useMemo(() => {
    const values: Record<string, unknown> = {};
    const given = new URLSearchParams(search);
    for (const f of form.fields) {
      const asked = given.get(f.key);
      if (f.type === 'relation' && asked && /^\d+$/.test(asked)) values[f.key] = Number(asked);
      else if (f.prefill === 'now' && f.type === 'datetime') values[f.key] = new Date().toISOString();
      // Today on the reader's clocks.
      else if (f.prefill === 'now' && f.type === 'date') values[f.key] = toWallClock(new Date().toISOString(), zone).slice(0, 10);
    }
    if (mine && own.data && !given.has(mine.key)) values[mine.key] = own.data.id;
    return { loading: !!people?.user_field && own.isLoading, values };
  }, [search, form, own.data, own.isLoading, zone]);
}
