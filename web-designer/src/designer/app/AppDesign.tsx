// One app as its designers see it: its forms and roles to design, publishing (the dry run,
// maker-checker and the requests a second designer decides), its version history with
// the difference between any two, and its texts in both languages.
import { useContext, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Button, Space, Tabs, Typography } from 'antd';
import { LanguageContext, label } from '../../i18n';
import { follow, useNavigate, type Params } from '../../ui/router';
import { designQueries } from '../api';
import { exportApp } from '../Apps';
import { useD } from '../i18n';
import { designPaths } from '../paths';
import { Documents } from './Documents';
import { Publishing } from './Publishing';
import { SeeAs } from './SeeAs';
import { Texts } from './Texts';
import { Versions } from './Versions';
import { Frame } from '../Frame';

const TABS = ['forms', 'roles', 'seeAs', 'publish', 'versions', 'texts'] as const;
type Tab = (typeof TABS)[number];

export default function AppDesign({ params }: { params: Params }) {
  const app = params.app ?? '';
  const d = useD();
  const language = useContext(LanguageContext);
  const go = useNavigate();
  const info = useQuery(designQueries.app(app));
  const asked = new URLSearchParams(window.location.search).get('tab') as Tab | null;
  const [tab, setTab] = useState<Tab>(asked && TABS.includes(asked) ? asked : 'forms');
  const name = label(info.data?.name, language) || app;
  function choose(next: string) {
    setTab(next as Tab);
    window.history.replaceState(null, '', designPaths.app(app, next));
  }
  return (
    <Frame>
      <div>
        <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
          <Typography.Title level={1} style={{ fontSize: 24 }}>{d('app.title', { app: name })}</Typography.Title>
          <Space>
            <a {...follow(go, designPaths.apps())}>{d('app.allApps')}</a>
            <Button onClick={() => void exportApp(app)}>{d('apps.export')}</Button>
          </Space>
        </Space>
        <Typography.Paragraph type="secondary">
          {info.data?.published_version ? d('app.version', { version: info.data.published_version }) : d('apps.unpublished')}
        </Typography.Paragraph>
        <Tabs activeKey={tab} onChange={choose} items={[
          { key: 'forms', label: d('app.forms'), children: <Documents app={app} kind="forms" /> },
          { key: 'roles', label: d('app.roles'), children: <Documents app={app} kind="roles" /> },
          { key: 'seeAs', label: d('app.seeAs'), children: <SeeAs app={app} /> },
        { key: 'publish', label: d('app.publish'), children: <Publishing app={app} /> },
          { key: 'versions', label: d('app.versions'), children: <Versions app={app} /> },
          { key: 'texts', label: d('app.texts'), children: <Texts app={app} /> },
        ]} />
      </div>
    </Frame>
  );
}
