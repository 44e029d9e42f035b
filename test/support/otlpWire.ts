/**
 * The parts of OTLP both signals share, for the test receiver: protobuf's wire format
 * (varints, length-delimited fields), AnyValue and KeyValue in protobuf and in OTLP/JSON,
 * the instrumentation scope's name and a JSON request body. A malformed body throws
 * MalformedRequestError (answered 400).
 */
export class MalformedRequestError extends Error {}

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

export type WireField =
  | { readonly field: number; readonly wireType: typeof VARINT; readonly value: bigint }
  | { readonly field: number; readonly wireType: typeof I64 | typeof LEN | typeof I32; readonly value: Buffer };

const utf8 = new TextDecoder('utf-8', { fatal: true });

class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  readVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new MalformedRequestError('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new MalformedRequestError('varint longer than 10 bytes');
  }

  readSlice(length: number): Buffer {
    if (this.pos + length > this.buf.length) {
      throw new MalformedRequestError(`field of ${length} bytes overruns the message`);
    }
    const slice = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  readField(): WireField {
    const tag = this.readVarint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 0) throw new MalformedRequestError('field number 0');
    switch (wireType) {
      case VARINT:
        return { field, wireType, value: this.readVarint() };
      case I64:
        return { field, wireType, value: this.readSlice(8) };
      case LEN:
        return { field, wireType, value: this.readSlice(this.readLength()) };
      case I32:
        return { field, wireType, value: this.readSlice(4) };
      default:
        throw new MalformedRequestError(`unsupported wire type ${wireType} for field ${field}`);
    }
  }

  private readLength(): number {
    const length = this.readVarint();
    if (length > BigInt(this.buf.length)) throw new MalformedRequestError(`length ${length} overruns the message`);
    return Number(length);
  }
}

export function* wireFields(buf: Buffer): Generator<WireField> {
  const reader = new WireReader(buf);
  while (!reader.done) yield reader.readField();
}

function wrongWireType(f: WireField, expected: number): MalformedRequestError {
  return new MalformedRequestError(`field ${f.field}: wire type ${f.wireType}, expected ${expected}`);
}

export function varintOf(f: WireField): bigint {
  if (f.wireType !== VARINT) throw wrongWireType(f, VARINT);
  return f.value;
}

export function bytesOf(f: WireField, expected: typeof I64 | typeof LEN | typeof I32 = LEN): Buffer {
  if (f.wireType !== expected) throw wrongWireType(f, expected);
  return f.value;
}

export function stringOf(f: WireField): string {
  try {
    return utf8.decode(bytesOf(f));
  } catch (error) {
    if (error instanceof MalformedRequestError) throw error;
    throw new MalformedRequestError(`field ${f.field}: invalid UTF-8`);
  }
}

export function int64ToNumber(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

export function decodeProtoAnyValue(buf: Buffer): unknown {
  let value: unknown;
  for (const f of wireFields(buf)) {
    switch (f.field) {
      case 1:
        value = stringOf(f);
        break;
      case 2:
        value = varintOf(f) !== 0n;
        break;
      case 3:
        value = int64ToNumber(BigInt.asIntN(64, varintOf(f)));
        break;
      case 4:
        value = bytesOf(f, I64).readDoubleLE(0);
        break;
      case 5:
        value = decodeProtoArrayValue(bytesOf(f));
        break;
      case 6:
        value = decodeProtoKeyValues(bytesOf(f), 1);
        break;
      case 7:
        value = Buffer.from(bytesOf(f));
        break;
    }
  }
  return value;
}

function decodeProtoArrayValue(buf: Buffer): unknown[] {
  const values: unknown[] = [];
  for (const f of wireFields(buf)) {
    if (f.field === 1) values.push(decodeProtoAnyValue(bytesOf(f)));
  }
  return values;
}

export function decodeProtoKeyValue(buf: Buffer): [string, unknown] {
  let key = '';
  let value: unknown;
  for (const f of wireFields(buf)) {
    if (f.field === 1) key = stringOf(f);
    else if (f.field === 2) value = decodeProtoAnyValue(bytesOf(f));
  }
  return [key, value];
}

/** Reads the repeated KeyValue at `fieldNumber` of a message (attributes, KeyValueList.values). */
export function decodeProtoKeyValues(buf: Buffer, fieldNumber: number): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const f of wireFields(buf)) {
    if (f.field === fieldNumber) entries.push(decodeProtoKeyValue(bytesOf(f)));
  }
  return Object.fromEntries(entries);
}

/** InstrumentationScope.name. */
export function decodeProtoScopeName(buf: Buffer): string {
  let name = '';
  for (const f of wireFields(buf)) {
    if (f.field === 1) name = stringOf(f);
  }
  return name;
}

export type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (!isJsonObject(value)) throw new MalformedRequestError(`${what} is not an object`);
  return value;
}

export function objectAt(obj: JsonObject, key: string): JsonObject {
  return obj[key] == null ? {} : asObject(obj[key], key);
}

export function objectsAt(obj: JsonObject, key: string): JsonObject[] {
  const value = obj[key];
  if (value == null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`${key} is not an array`);
  return value.map((item: unknown) => asObject(item, `${key} entry`));
}

export function stringAt(obj: JsonObject, key: string): string {
  const value = obj[key];
  if (value == null) return '';
  if (typeof value !== 'string') throw new MalformedRequestError(`${key} is not a string`);
  return value;
}

/** OTLP/JSON writes 64-bit integers as strings or numbers; BigInt() rejects fractions and junk. */
export function integerAt(obj: JsonObject, key: string): bigint {
  const value = obj[key];
  if (value == null) return 0n;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new MalformedRequestError(`${key} is not an integer`);
  }
  try {
    return BigInt(value);
  } catch {
    throw new MalformedRequestError(`${key} is not an integer: ${String(value)}`);
  }
}

export function decodeJsonAnyValue(value: JsonObject): unknown {
  if ('stringValue' in value) return stringAt(value, 'stringValue');
  if ('boolValue' in value) return value.boolValue === true;
  if ('intValue' in value) return int64ToNumber(integerAt(value, 'intValue'));
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) {
    return objectsAt(objectAt(value, 'arrayValue'), 'values').map(decodeJsonAnyValue);
  }
  if ('kvlistValue' in value) return decodeJsonKeyValues(objectsAt(objectAt(value, 'kvlistValue'), 'values'));
  if ('bytesValue' in value) return Buffer.from(stringAt(value, 'bytesValue'), 'base64');
  return undefined;
}

export function decodeJsonKeyValues(keyValues: JsonObject[]): Record<string, unknown> {
  return Object.fromEntries(
    keyValues.map((kv) => [stringAt(kv, 'key'), decodeJsonAnyValue(objectAt(kv, 'value'))]),
  );
}

/** The request object of an OTLP/JSON body. */
export function parseJsonRequest(body: Buffer): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new MalformedRequestError(`invalid JSON: ${(error as Error).message}`);
  }
  return asObject(parsed, 'request');
}
