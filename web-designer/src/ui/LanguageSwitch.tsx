import { useContext } from 'react';
import { Segmented } from 'antd';
import { LanguageContext, LANGUAGES, type Language, useT } from '../i18n';

/// Each language by its own name.
const NAMES: Record<Language, string> = { 'zh-CN': '中文', en: 'EN' };

/// The language the app is read in, as a switch of the languages it speaks.
export function LanguageSwitch({ onLanguage }: { onLanguage: (language: Language) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  return (
    <Segmented
      aria-label={t('shell.language')}
      value={language}
      options={LANGUAGES.map((l) => ({ label: NAMES[l], value: l }))}
      onChange={(value) => onLanguage(value as Language)}
    />
  );
}
