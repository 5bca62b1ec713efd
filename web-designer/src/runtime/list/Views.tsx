import { useContext, useEffect, useState } from 'react';
import { Button, Input, Popconfirm, Select, Space } from 'antd';
import { DeleteOutlined, SaveOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Problem, type Schemas } from '../../api/client';
import { queries } from '../../api/queries';
import { LanguageContext, useT } from '../../i18n';
import { ShellContext } from '../../ui/contexts';
import { fieldProblem, refusalText } from '../../ui/problems';

export type View = Schemas['SavedView'];
/// What a view holds: the list's parameters.
export type ViewState = Pick<View, 'where' | 'search' | 'sort' | 'columns'>;

/// The user's saved views of a form, kept by the server: choose one to look at the list
/// through it, save what is on screen as a new one, delete one. The list opens on the view
/// last used (remembered by this browser, for this user and form).
export function Views({ app, form, current, onChoose }: {
  app: string; form: string; current: ViewState; onChoose: (view: View | null) => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const client = useQueryClient();
  const views = useQuery(queries.views(app, form)).data?.items ?? [];
  const me = useContext(ShellContext)?.me.username ?? '';
  const remembered = `trellis.view.${me}.${app}.${form}`;
  const [chosen, setChosenState] = useState<number | null>(null);
  const setChosen = (id: number | null) => {
    setChosenState(id);
    if (id === null) localStorage.removeItem(remembered);
    else localStorage.setItem(remembered, String(id));
  };
  const [opened, setOpened] = useState(false);
  // Once the views are known: the one last used, if it is still there.
  const loaded = useQuery(queries.views(app, form)).isSuccess;
  useEffect(() => {
    if (opened || !loaded) return;
    setOpened(true);
    const last = views.find((v) => String(v.id) === localStorage.getItem(remembered));
    if (last) {
      setChosenState(last.id);
      onChoose(last);
    }
  }, [loaded]);
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const path = { app, form };

  const load = () => client.invalidateQueries({ queryKey: queries.views(app, form).queryKey });

  async function save() {
    setProblem(null);
    const body = { name, ...Object.fromEntries(Object.entries(current).filter(([, v]) => v !== null && v !== undefined && v !== '')) };
    const { data, error } = await api.POST('/api/v1/apps/{app}/forms/{form}/views', { params: { path }, body: body as never });
    if (!data) {
      const refusal = error as Problem | undefined;
      const first = refusal?.errors?.[0];
      setProblem(first ? fieldProblem(first, undefined, language) : refusalText(refusal, language));
      return;
    }
    setName('');
    await load();
    setChosen(data.id);
  }

  async function remove(id: number) {
    await api.DELETE('/api/v1/apps/{app}/forms/{form}/views/{id}', { params: { path: { ...path, id } } });
    setChosen(null);
    onChoose(null);
    await load();
  }

  return (
    <Space wrap>
      <Select aria-label={t('views.title')} placeholder={t('views.all')} allowClear showSearch={{ optionFilterProp: 'label' }} style={{ minWidth: 180 }} value={chosen}
        options={views.map((v) => ({ value: v.id, label: v.name }))}
        onChange={(id: number | undefined) => {
          setChosen(id ?? null);
          onChoose(views.find((v) => v.id === id) ?? null);
        }} />
      {chosen !== null && (
        <Popconfirm title={t('views.deleteConfirm')} onConfirm={() => void remove(chosen)}>
          <Button icon={<DeleteOutlined />} aria-label={t('views.delete')} />
        </Popconfirm>
      )}
      <Space.Compact>
        <Input aria-label={t('views.name')} placeholder={t('views.name')} value={name} maxLength={100} status={problem ? 'error' : ''}
          onChange={(e) => setName(e.target.value)} onPressEnter={() => void save()} />
        <Button icon={<SaveOutlined />} disabled={!name.trim()} onClick={() => void save()}>{t('views.save')}</Button>
      </Space.Compact>
      {problem && <span role="alert" className="inline-problem">{problem}</span>}
    </Space>
  );
}
