import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { api, whenSessionEnds, type Failures, type Me, type Notification, type Task, type Workspace } from './api/client';
import { formatInstant } from './format';
import { LanguageContext, translate, type Language } from './i18n';
import { Shell } from './Shell';
import { SignIn } from './SignIn';
import { ZoneContext } from './workspace';

const LANGUAGE_KEY = 'trellis.language';
/// The bundled Noto Sans SC first (Latin and CJK alike, the same on every machine), then
/// the system's fonts.
const FONTS = '"Noto Sans SC", system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif';

interface Day {
  me: Me;
  workspace: Workspace;
  tasks: Task[];
  notifications: { items: Notification[]; unread: number };
}

/// Signed in or not; the language is the user's own (kept on the server), zh-CN before
/// anyone signs in unless this browser chose otherwise.
export function App() {
  const [language, setLanguage] = useState<Language>(
    (localStorage.getItem(LANGUAGE_KEY) as Language | null) ?? 'zh-CN',
  );
  const [day, setDay] = useState<Day | null>(null);
  // Whether a session is live is the server's to say (its cookie is not the page's to read).
  const [loading, setLoading] = useState(true);
  const [expired, setExpired] = useState(false);
  const [failures, setFailures] = useState<Failures | null>(null);
  const signedIn = useRef(false);

  const load = useCallback(async () => {
    setLoading(true);
    const [me, workspace, tasks, notifications] = await Promise.all([
      api.GET('/api/v1/auth/me'),
      api.GET('/api/v1/workspace'),
      api.GET('/api/v1/tasks'),
      api.GET('/api/v1/notifications'),
    ]);
    setLoading(false);
    if (!me.data || !workspace.data || !tasks.data || !notifications.data) return;
    signedIn.current = true;
    if (me.data.language === 'zh-CN' || me.data.language === 'en') setLanguage(me.data.language);
    setDay({ me: me.data, workspace: workspace.data, tasks: tasks.data.items, notifications: notifications.data });
  }, []);

  useEffect(() => {
    // An ended session sends the user to sign in, and back here after it.
    whenSessionEnds(() => {
      // Said only to someone who was signed in: a first visit just signs in.
      if (signedIn.current) setExpired(true);
      signedIn.current = false;
      setDay(null);
    });
    void load();
  }, [load]);

  async function changeLanguage(next: Language) {
    setLanguage(next);
    localStorage.setItem(LANGUAGE_KEY, next);
    if (day) {
      await api.PATCH('/api/v1/auth/me', { body: { language: next } });
      await load();
    }
  }

  async function changeZone(zone: string | null) {
    await api.PATCH('/api/v1/auth/me', { body: { time_zone: zone } });
    await load();
  }

  async function signOut() {
    await api.POST('/api/v1/auth/logout');
    signedIn.current = false;
    setFailures(null);
    setDay(null);
    setExpired(false);
  }

  return (
    <LanguageContext.Provider value={language}>
      <ConfigProvider locale={language === 'zh-CN' ? zhCN : enUS} theme={{ token: { fontFamily: FONTS } }}>
        {/* The spinner only before the first answer: a reload keeps the shell (and an open task). */}
        {loading && !day ? (
          <Spin fullscreen />
        ) : day ? (
          <ZoneContext.Provider value={day.me.time_zone ?? day.workspace.apps[0]?.time_zone ?? 'UTC'}>
            {failures && (
              <Alert
                banner
                closable={{ onClose: () => setFailures(null), 'aria-label': translate(language, 'signIn.failuresSeen') }}
                type="warning"
                title={translate(language, failures.last_address ? 'signIn.failuresFrom' : 'signIn.failures', {
                  count: failures.count,
                  at: formatInstant(failures.last_at, language, day.me.time_zone ?? day.workspace.apps[0]?.time_zone ?? 'UTC'),
                  address: failures.last_address ?? '',
                })}
              />
            )}
            <Shell {...day} onLanguage={changeLanguage} onZone={(z) => void changeZone(z)} onSignOut={signOut} onChanged={() => void load()} />
          </ZoneContext.Provider>
        ) : (
          <SignIn
            expired={expired}
            onSignedIn={(failed) => {
              setExpired(false);
              setFailures(failed);
              void load();
            }}
          />
        )}
      </ConfigProvider>
    </LanguageContext.Provider>
  );
}
