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
