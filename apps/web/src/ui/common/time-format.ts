const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const date = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const longDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

/** A chat-list stamp: time today, weekday this week, date before. */
export function listStamp(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const days = dayNumber(now) - dayNumber(at);
  if (days === 0) return time.format(at);
  if (days < 7) return weekday.format(at);
  return date.format(at);
}

export function clockTime(iso: string): string {
  return time.format(new Date(iso));
}

/** The label of a day separator in a conversation. */
export function dayLabel(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const days = dayNumber(now) - dayNumber(at);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return longDate.format(at);
}

export function dayKey(iso: string): number {
  return dayNumber(new Date(iso));
}

function dayNumber(at: Date): number {
  return Math.floor((at.getTime() - at.getTimezoneOffset() * 60_000) / 86_400_000);
}

export function durationWords(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${seconds % 60} s`;
  return `${seconds} s`;
}
