import { useContext, useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { api, type Failures, type Problem } from '../api/client';
import { LanguageContext, type Language, useT } from '../i18n';
import { LanguageSwitch } from '../ui/LanguageSwitch';
import { refusalText } from '../ui/problems';

interface Props {
  /// Why the user is here again (their session ended), if so.
  expired: boolean;
  /// Signed in; the wrong passwords typed for the name since the user last signed in.
  onSignedIn: (failures: Failures | null) => void;
  /// The language chosen here, before anyone is signed in.
  onLanguage: (language: Language) => void;
}

/// Sign-in, under the product's name and with the language to read it in: wrong
/// passwords, a locked name and too many attempts each say what happened.
export function SignIn({ expired, onSignedIn, onLanguage }: Props) {
  const t = useT();
  const language = useContext(LanguageContext);
  const [problem, setProblem] = useState<string | null>(expired ? t('signIn.expired') : null);
  const [busy, setBusy] = useState(false);

  async function submit(values: { username: string; password: string }) {
    setBusy(true);
    // The session in an HttpOnly cookie: the page never holds its token.
    const { data, error, response } = await api.POST('/api/v1/auth/login', { body: { ...values, cookie: true } });
    setBusy(false);
    if (data) {
      onSignedIn(data.failed_attempts ?? null);
      return;
    }
    const code = (error as Problem | undefined)?.code;
    setProblem(
      response.status === 429
        ? t('signIn.tooMany')
        : code === 'locked'
          ? t('signIn.locked')
          : code === 'wrong_credentials'
            ? t('signIn.wrong')
            : refusalText(error as Problem | undefined, language, response.statusText),
    );
  }

  return (
    <main className="sign-in">
      <Card style={{ width: 360 }} className="sign-in-card">
        <div className="product">
          <span>
            <span className="name">{t('app.name')}</span>
            <Typography.Paragraph type="secondary" style={{ margin: 0 }}>{t('app.tagline')}</Typography.Paragraph>
          </span>
          <LanguageSwitch onLanguage={onLanguage} />
        </div>
        <Typography.Title level={1} className="page-title">{t('signIn.title')}</Typography.Title>
        {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item
            label={t('signIn.username')}
            name="username"
            rules={[{ required: true, message: t('signIn.required', { field: t('signIn.username') }) }]}
          >
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            label={t('signIn.password')}
            name="password"
            rules={[{ required: true, message: t('signIn.required', { field: t('signIn.password') }) }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('signIn.submit')}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
