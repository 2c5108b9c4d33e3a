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
 * The chat and `id` of a `message.send` or `secret.send` frame, read without
 * parsing it, so that a send the server has no room for is refused at next
 * to no cost (under a flood most frames are such refusals, and JSON.parse was
 * the largest cost of each). Only frames written as clients write them are
 * read this way: the type first and no backslash anywhere, so no quote hides
 * inside a string and the `"chatId":"` found is a key. Anything else gives
 * undefined and takes the full parse. Nothing is decided from this but the
 * refusal; an admitted frame is parsed and validated as any other.
 */
export function peekSend(text: string): { readonly type: 'message.send' | 'secret.send'; readonly chatId: string; readonly id: string | undefined } | undefined {
  const type = text.startsWith('{"type":"message.send"') ? 'message.send' : text.startsWith('{"type":"secret.send"') ? 'secret.send' : undefined;
  if (type === undefined || text.includes('\\')) return undefined;
  const chatId = stringAfter(text, '"chatId":"');
  return chatId === undefined ? undefined : { type, chatId, id: stringAfter(text, '"id":"')?.slice(0, 64) };
}

/** The string value following `key` (which ends with its opening quote), in a text without escapes. */
function stringAfter(text: string, key: string): string | undefined {
  const at = text.indexOf(key);
  if (at === -1) return undefined;
  const end = text.indexOf('"', at + key.length);
  return end === -1 ? undefined : text.slice(at + key.length, end);
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
