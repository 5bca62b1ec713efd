import { DatePicker } from 'antd';
import dayjs from 'dayjs';
import customParseFormat from 'dayjs/plugin/customParseFormat';

dayjs.extend(customParseFormat);

const DAY = 'YYYY-MM-DD';
const MINUTE = 'YYYY-MM-DD HH:mm';

/// A day (`YYYY-MM-DD`), or with `withTime` a time on the reader's clocks
/// (`YYYY-MM-DD HH:mm`, the zone said beside it), picked or typed in the same form whatever
/// the browser's own locale: the value goes in and out as that text, never as a Date.
export function DateInput({ id, value, onChange, disabled, withTime = false, zone, ...rest }: {
  id?: string; value?: string | undefined; onChange?: (value: string | undefined) => void; disabled: boolean;
  withTime?: boolean; zone?: string; 'aria-label'?: string;
}) {
  const format = withTime ? MINUTE : DAY;
  const parsed = value ? dayjs(value, format, true) : null;
  return (
    <DatePicker
      {...(id ? { id } : {})}
      {...rest}
      style={{ width: '100%', minWidth: 180 }}
      value={parsed?.isValid() ? parsed : null}
      format={format}
      showTime={withTime ? { format: 'HH:mm' } : false}
      disabled={disabled}
      {...(withTime && zone ? { suffixIcon: <span className="zone">{zone}</span> } : {})}
      onChange={(picked) => onChange?.(picked ? picked.format(format) : undefined)}
    />
  );
}
