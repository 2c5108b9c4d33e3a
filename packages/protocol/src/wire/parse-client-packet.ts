import { KindGuard, type TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { SAFE_TEXT_FORMAT, safeTextProblem } from '../text.js';
import { type ClientPacket, type ClientPacketType, ClientPacketSchemas } from './packets.js';

/** Why a decoded packet is not an acceptable client packet. */
export type PacketRejection =
  /** `field` is the dotted path of the offending field, absent when the packet is not an object at all. */
  | { readonly code: 'VALIDATION_FAILED'; readonly message: string; readonly field?: string }
  | { readonly code: 'UNKNOWN_PACKET_TYPE'; readonly message: string; readonly field: 'packet_type' };

export type ParsedClientPacket =
  | { readonly ok: true; readonly packet: ClientPacket }
  | { readonly ok: false; readonly error: PacketRejection };

const CLIENT_PACKET_TYPES = Object.keys(ClientPacketSchemas) as readonly ClientPacketType[];

function isClientPacketType(type: unknown): type is ClientPacketType {
  return typeof type === 'string' && Object.hasOwn(ClientPacketSchemas, type);
}

const checkers = new Map<ClientPacketType, TypeCheck<TSchema>>();

/**
 * The compiled checker of a packet type: several times faster than the
 * interpreting `Value.Check` and `Value.Decode`, which a TCP connection paid
 * on every packet. Compiled on first use, not when the module loads: the
 * compiler builds code with `new Function`, which a browser's CSP forbids,
 * and only servers parse client packets.
 */
function checkerOf(type: ClientPacketType): TypeCheck<TSchema> {
  let checker = checkers.get(type);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(ClientPacketSchemas[type] as TSchema);
    checkers.set(type, checker);
  }
  return checker;
}

/**
 * Validates a decoded packet (from either framing) against its schema.
 * Ids become strings; fields the schema does not name are dropped, so a
 * client-supplied `sender_id` or `user_id` never reaches the server. Never
 * throws and never mutates `value`.
 */
export function parseClientPacket(value: unknown): ParsedClientPacket {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject({ code: 'VALIDATION_FAILED', message: 'packet: expected an object' });
  }
  const type = (value as { packet_type?: unknown }).packet_type;
  if (type === undefined) {
    return reject({ code: 'VALIDATION_FAILED', message: 'packet_type: required', field: 'packet_type' });
  }
  if (!isClientPacketType(type)) {
    return reject({
      code: 'UNKNOWN_PACKET_TYPE',
      message: `packet_type: expected one of ${CLIENT_PACKET_TYPES.join(', ')}`,
      field: 'packet_type',
    });
  }
  const checker = checkerOf(type);
  const declared = pickDeclared(checker.Schema(), value);
  // Check is several times faster than Errors, so errors are listed only for a packet that fails.
  if (!checker.Check(declared)) return reject(validationFailure(checker.Errors(declared).First()));
  return { ok: true, packet: checker.Decode(declared) as ClientPacket };
}

/**
 * A copy holding only the properties the schema declares. Unlike cloning the
 * whole value, the work is bounded by the schema, not by what the client sent.
 */
function pickDeclared(schema: TSchema, value: unknown): unknown {
  if (!KindGuard.IsObject(schema) || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  const picked: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    if (Object.hasOwn(value, key)) picked[key] = pickDeclared(property, (value as Record<string, unknown>)[key]);
  }
  return picked;
}

function reject(error: PacketRejection): ParsedClientPacket {
  return { ok: false, error };
}

function validationFailure(error: ValueError | undefined): PacketRejection {
  if (error === undefined) return { code: 'VALIDATION_FAILED', message: 'packet: invalid' };
  const field = error.path.slice(1).replaceAll('/', '.');
  return { code: 'VALIDATION_FAILED', message: `${field}: ${reason(error)}`, field };
}

function reason(error: ValueError): string {
  if (error.type === ValueErrorType.ObjectRequiredProperty) return 'required';
  // In the words HTTP and WebSocket use, so a string is refused alike on every transport.
  if (error.schema.format === SAFE_TEXT_FORMAT) return safeTextProblem(error.schema, error.value) ?? error.message;
  if (typeof error.schema.description === 'string') return `expected ${error.schema.description}`;
  if (error.type === ValueErrorType.Union && error.schema.anyOf.every(KindGuard.IsLiteral)) {
    return `expected one of ${error.schema.anyOf.map((literal: { const: unknown }) => literal.const).join(', ')}`;
  }
  return error.message;
}
