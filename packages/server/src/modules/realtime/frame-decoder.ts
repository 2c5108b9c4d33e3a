import {
  AuthFrame,
  CLIENT_FRAME_TYPES,
  type ClientFrame,
  type ClientFrameType,
  PingFrame,
  ReadFrame,
  SAFE_TEXT_FORMAT,
  SendMessageFrame,
  SendSecretFrame,
  SyncFrame,
  TypingFrame,
  safeTextProblem,
} from '@kaif/protocol';
import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

export type DecodedFrame =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly message: string; readonly field?: string; readonly id?: string };

const SCHEMAS: Record<ClientFrameType, TSchema> = {
  auth: AuthFrame,
  sync: SyncFrame,
  'message.send': SendMessageFrame,
  'secret.send': SendSecretFrame,
  read: ReadFrame,
  typing: TypingFrame,
  ping: PingFrame,
};

/** Compiled once per process: checking a frame is a plain function call. */
const CHECKS = new Map<string, TypeCheck<TSchema>>(
  CLIENT_FRAME_TYPES.map((type) => [type, TypeCompiler.Compile(SCHEMAS[type])]),
);

/** A client frame parsed but not yet checked against its schema. */
export type ParsedFrame =
  | { readonly ok: true; readonly value: Readonly<Record<string, unknown>>; readonly id?: string }
  | { readonly ok: false; readonly message: string; readonly field?: string; readonly id?: undefined };

/** Parses one client text frame: a JSON object, its `id` (if any) at hand for a quick answer. */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'The frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'A frame is a JSON object with a "type"', field: 'type' };
  }
  const record = value as Record<string, unknown>;
  return { ok: true, value: record, id: typeof record.id === 'string' ? record.id.slice(0, 64) : undefined };
}

/**
 * Validates a parsed frame against the protocol schemas. The discriminant
 * is checked first so the error names the field that is wrong rather than
 * every member of the union.
 */
export function checkClientFrame(parsed: Extract<ParsedFrame, { ok: true }>): DecodedFrame {
  const { value, id } = parsed;
  const check = typeof value.type === 'string' ? CHECKS.get(value.type) : undefined;
  if (!check) {
    return { ok: false, message: `Unknown frame type; expected one of ${CLIENT_FRAME_TYPES.join(', ')}`, field: 'type', id };
  }
  if (check.Check(value)) return { ok: true, frame: value as ClientFrame };
  const first = check.Errors(value).First();
  const field = first?.path.replace(/^\//, '').replaceAll('/', '.') || 'frame';
  const reason = first?.schema.format === SAFE_TEXT_FORMAT ? safeTextProblem(first.schema, first.value) : first?.message.toLowerCase();
  return { ok: false, message: `${field} ${reason ?? 'is invalid'}`, field, id };
}

/** Parses and validates one client text frame. */
export function decodeClientFrame(text: string): DecodedFrame {
  const parsed = parseClientFrame(text);
  return parsed.ok ? checkClientFrame(parsed) : parsed;
}
