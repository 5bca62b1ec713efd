import { useContext, useState } from 'react';
import { Button, Progress, Space, Tag, Typography } from 'antd';
import { PaperClipOutlined, UploadOutlined } from '@ant-design/icons';
import { upload as send, type Problem } from '../../api/client';
import { LanguageContext, useT } from '../../i18n';
import { refusalText } from '../../ui/problems';

interface Uploading {
  name: string;
  percent: number;
}

/// Whether a file's type is one of `accept` (`image/*`, `application/pdf`); none accepts all.
function accepted(type: string, accept: string[]): boolean {
  return accept.length === 0 || accept.some((a) => (a.endsWith('/*') ? type.startsWith(a.slice(0, -1)) : type === a));
}

/// An attachment field: files uploaded to the server one by one with their progress, the
/// field holding their ids. Size, type and count are checked before a byte is sent; the
/// server checks them again when the record is saved.
export function Attachments({ app, accept, maxFiles, maxSize, disabled, id, value, onChange }: {
  app: string; accept: string[]; maxFiles: number; maxSize: number | undefined; disabled: boolean;
  id?: string; value?: number[]; onChange?: (ids: number[]) => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const [uploading, setUploading] = useState<Uploading | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const ids = value ?? [];

  function upload(file: File) {
    setRefused(null);
    if (ids.length >= maxFiles) return setRefused(t('files.tooMany', { count: maxFiles }));
    if (!accepted(file.type, accept)) return setRefused(t('files.badType', { name: file.name }));
    if (maxSize !== undefined && file.size > maxSize) return setRefused(t('files.tooBig', { name: file.name, size: Math.ceil(maxSize / 1024 / 1024) }));
    // Through the API client (its session, its 401), with the upload's progress.
    setUploading({ name: file.name, percent: 0 });
    void send(app, file, (percent) => setUploading({ name: file.name, percent }))
      .then(({ data, error, response }) => {
        setUploading(null);
        if (!data) return setRefused(refusalText(error as Problem | undefined, language, response.statusText));
        setNames((before) => ({ ...before, [data.id]: data.name }));
        onChange?.([...ids, data.id]);
      })
      .catch(() => {
        setUploading(null);
        setRefused(t('error.generic', { detail: file.name }));
      });
  }

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap>
        {ids.map((fileId) => (
          <Tag key={fileId} icon={<PaperClipOutlined />} closable={!disabled}
            onClose={() => onChange?.(ids.filter((x) => x !== fileId))}>
            {names[fileId] ?? `#${fileId}`}
          </Tag>
        ))}
      </Space>
      {!disabled && ids.length < maxFiles && (
        <Button icon={<UploadOutlined />} onClick={() => document.getElementById(`${id ?? 'files'}-input`)?.click()}>
          {t('files.upload')}
        </Button>
      )}
      <input id={`${id ?? 'files'}-input`} type="file" style={{ display: 'none' }} accept={accept.join(',')} aria-label={t('files.upload')}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) upload(file);
          e.target.value = '';
        }} />
      {uploading && <Progress percent={uploading.percent} size="small" aria-label={uploading.name} />}
      {refused && <Typography.Text type="danger" role="alert">{refused}</Typography.Text>}
    </Space>
  );
}
