// Instants shown in the reader's zone, with the zone said; the app's zone until users
// choose their own.
export const DEFAULT_ZONE = 'Asia/Shanghai';

export function formatInstant(iso: string, language: string, zone: string = DEFAULT_ZONE): string {
  const at = new Date(iso);
  const text = new Intl.DateTimeFormat(language, {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(at);
  return `${text} (${zone})`;
}

/// An exact decimal as the API gives it (a string), grouped by thousands at its scale;
/// never through a float. A masked value (`137****0001`) is shown as it came.
export function formatDecimal(value: string, scale = 2): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) return value;
  const [, sign, whole = '0', fraction = ''] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const digits = scale > 0 ? `.${fraction.padEnd(scale, '0').slice(0, scale)}` : '';
  return `${sign}${grouped}${digits}`;
}
