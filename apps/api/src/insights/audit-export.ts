import type { AuditEntryView } from './insight.dto.js';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

const COLUMNS: (keyof AuditEntryView)[] = [
  'position', 'at', 'actor', 'source', 'correlationId', 'causationId', 'action', 'outcome', 'target', 'application', 'clusters',
  'environment', 'reason', 'eventId',
];

/** RFC 4180: quote every field that holds a comma, quote or line break; double inner quotes. */
function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(entries: AuditEntryView[]): string {
  const lines = [COLUMNS.join(','), ...entries.map((e) => COLUMNS.map((c) => csvField(e[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function toNdjson(entries: AuditEntryView[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join('');
}
