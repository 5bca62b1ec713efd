import { Button, Result } from 'antd';
import { useT } from '../i18n';
import { paths, useNavigate } from '../ui/router';

/// What an address that names nothing the user may open shows: said, with the way back to
/// their inbox (never another screen in its place).
export default function NotFound() {
  const t = useT();
  const go = useNavigate();
  return (
    <section aria-labelledby="not-found-title" className="not-found">
      <Result
        status="404"
        title={<h1 id="not-found-title" className="ant-typography page-title">{t('notFound.title')}</h1>}
        subTitle={t('notFound.detail')}
        extra={<Button type="primary" onClick={() => go(paths.inbox())}>{t('notFound.back')}</Button>}
      />
    </section>
  );
}
