import { useEffect, useRef, useState } from 'react';
import { Alert, App as Feedback, Button, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, whenSessionEnds, type Failures } from '../api/client';
import { problemOf, queries } from '../api/queries';
import { refusalText } from '../ui/problems';
import { formatInstant } from '../ui/format';
import { ZoneContext } from '../ui/contexts';
import { LanguageContext, translate, type Language } from '../i18n';
import { Shell } from './Shell';
import { SignIn } from './SignIn';

const LANGUAGE_KEY = 'trellis.language';
/// The bundled Noto Sans SC first (Latin and CJK alike, the same on every machine), then
/// the system's fonts.
export const FONTS = '"Noto Sans SC", system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif';
/// Ant Design's colours where its defaults fall short of WCAG AA contrast (4.5:1 for text):
/// the primary blue and the error red one shade darker (hovered, two), secondary and placeholder text
/// darker grey. Checked by axe-core on every screen the browser tests look at.
const THEME = {
  fontFamily: FONTS,
  colorPrimary: '#0958d9',
  // Hovered and pressed darker still (the kit's default lightens them below 4.5:1).
  colorPrimaryHover: '#003eb3',
  colorPrimaryActive: '#002c8c',
  colorLink: '#0958d9',
  colorLinkHover: '#003eb3',
  colorError: '#cf1322',
  // Warnings (an undeliverable message's tag) in a dark amber: 5.3:1 on their tint.
  colorWarning: '#874d00',
  colorWarningBg: '#fff7e6',
  // Success (a finished import's tag) in a dark green: 6.6:1 on its tint.
  colorSuccess: '#237804',
  colorSuccessBg: '#f6ffed',
  colorSuccessBorder: '#b7eb8f',
  colorTextDescription: 'rgba(0, 0, 0, 0.65)',
  colorTextTertiary: 'rgba(0, 0, 0, 0.65)',
  colorTextPlaceholder: 'rgba(0, 0, 0, 0.6)',
  // What may not be changed is still read: disabled text (a read-only field's value, its
  // currency) at 5:1, not the kit's 0.25 grey.
  colorTextDisabled: 'rgba(0, 0, 0, 0.6)',
};

/// Whether a session is live is the server's to say (its cookie is not the page's to read):
/// `unknown` until it answers who the user is.
type Session = 'unknown' | 'in' | 'out';

/// Signed in or not; the language is the user's own (kept on the server), zh-CN before
/// anyone signs in unless this browser chose otherwise.
export function App() {
  const client = useQueryClient();
  const [language, setLanguage] = useState<Language>(
    (localStorage.getItem(LANGUAGE_KEY) as Language | null) ?? 'zh-CN',
  );
  const [session, setSession] = useState<Session>('unknown');
  const [expired, setExpired] = useState(false);
  const [failures, setFailures] = useState<Failures | null>(null);
  const me = useQuery({ ...queries.me(), enabled: session !== 'out' });
  const workspace = useQuery({ ...queries.workspace(), enabled: me.data !== undefined && session !== 'out' });
  const was = useRef<Session>('unknown');

  useEffect(() => {
    // An ended session sends the user to sign in, and back here after it; said only to
    // someone who was signed in (a first visit just signs in).
    whenSessionEnds(() => {
      if (was.current === 'in') setExpired(true);
      was.current = 'out';
      setSession('out');
      client.clear();
    });
  }, [client]);
  useEffect(() => {
    if (!me.data) return;
    was.current = 'in';
    setSession('in');
    if (me.data.language === 'zh-CN' || me.data.language === 'en') setLanguage(me.data.language);
  }, [me.data]);
  useEffect(() => {
    dayjs.locale(language === 'zh-CN' ? 'zh-cn' : 'en');
  }, [language]);

  async function changeLanguage(next: Language) {
    setLanguage(next);
    localStorage.setItem(LANGUAGE_KEY, next);
    if (session === 'in') {
      await api.PATCH('/api/v1/auth/me', { body: { language: next } });
      // Titles, messages and labels the server words come again in the new language.
      await client.invalidateQueries();
    }
  }

  async function changeZone(zone: string | null) {
    await api.PATCH('/api/v1/auth/me', { body: { time_zone: zone } });
    await client.invalidateQueries({ queryKey: queries.me().queryKey });
  }

  async function signOut() {
    await api.POST('/api/v1/auth/logout');
    was.current = 'out';
    setFailures(null);
    setExpired(false);
    setSession('out');
    client.clear();
  }

  const day = session === 'in' && me.data && workspace.data ? { me: me.data, workspace: workspace.data } : null;
  const zone = day ? (day.me.time_zone ?? day.workspace.apps[0]?.time_zone ?? 'UTC') : 'UTC';
  return (
    <LanguageContext.Provider value={language}>
      <ConfigProvider locale={language === 'zh-CN' ? zhCN : enUS} theme={{ token: THEME }}>
        {/* The kit's messages (a save confirmed) in the theme and language. */}
        <Feedback>
        {day ? (
          <ZoneContext.Provider value={zone}>
            {failures && (
              <Alert
                banner
                closable={{ onClose: () => setFailures(null), 'aria-label': translate(language, 'signIn.failuresSeen') }}
                type="warning"
                title={translate(language, failures.last_address ? 'signIn.failuresFrom' : 'signIn.failures', {
                  count: failures.count,
                  at: formatInstant(failures.last_at, language, zone),
                  address: failures.last_address ?? '',
                })}
              />
            )}
            <Shell {...day} onLanguage={(l) => void changeLanguage(l)} onZone={(z) => void changeZone(z)} onSignOut={() => void signOut()} />
          </ZoneContext.Provider>
        ) : session === 'out' ? (
          <SignIn
            expired={expired}
            onLanguage={(l) => void changeLanguage(l)}
            onSignedIn={(failed) => {
              setExpired(false);
              setFailures(failed);
              setSession('unknown');
            }}
          />
        ) : me.isError || workspace.isError ? (
          // The server answered, but not with the user (it failed, or is unreachable): said,
          // with a way to ask again, rather than a spinner that never ends.
          <Alert type="error" role="alert" style={{ margin: 24 }}
            title={refusalText(problemOf(me.error ?? workspace.error), language, translate(language, 'app.name'))}
            action={<Button onClick={() => void client.invalidateQueries()}>{translate(language, 'app.retry')}</Button>} />
        ) : (
          // The spinner only before the first answer: a reload keeps the shell (and an open task).
          <Spin fullscreen />
        )}
        </Feedback>
      </ConfigProvider>
    </LanguageContext.Provider>
  );
}
