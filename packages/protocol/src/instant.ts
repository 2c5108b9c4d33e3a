import { FormatRegistry, Type } from '@sinclair/typebox';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 date-time, as Ajv's `date-time` format takes it: a time zone is required. */
export function isDateTime(value: string): boolean {
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

// Ajv knows `date-time` already; TypeBox knows no format until one is set,
// and refuses every value of an unknown one.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime);

/** A point in time: ISO-8601 UTC as the server writes it (API.md "Conventions"). */
export const Instant = Type.String({ format: 'date-time' });
