import { Select } from 'antd';
import { useT } from '../i18n';

const APP = '';

/// The user's time zone: their own (any IANA zone the browser knows), or their app's.
export function ZonePicker({ zone, appZone, onZone }: { zone: string | null; appZone: string; onZone: (zone: string | null) => void }) {
  const t = useT();
  const zones = Intl.supportedValuesOf('timeZone');
  return (
    <Select aria-label={t('shell.zone')} value={zone ?? APP} showSearch={{ optionFilterProp: 'label' }} style={{ width: 210 }} popupMatchSelectWidth={false}
      options={[{ value: APP, label: t('shell.appZone', { zone: appZone }) }, ...zones.map((z) => ({ value: z, label: z }))]}
      onChange={(value: string) => onZone(value === APP ? null : value)} />
  );
}
