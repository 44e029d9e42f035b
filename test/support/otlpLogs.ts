/** Decoding of OTLP log export requests (`/v1/logs`, ExportLogsServiceRequest) for the test receiver. */
import {
  bytesOf,
  decodeJsonAnyValue,
  decodeJsonKeyValues,
  decodeProtoAnyValue,
  decodeProtoKeyValue,
  decodeProtoKeyValues,
  decodeProtoScopeName,
  I32,
  I64,
  integerAt,
  objectAt,
  objectsAt,
  parseJsonRequest,
  stringAt,
  stringOf,
  varintOf,
  wireFields,
  type JsonObject,
} from './otlpWire';

export interface ReceivedLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  /** W3C trace flags in the low byte. */
  flags: number;
  /** Hex, empty when the record has no trace context. */
  traceId: string;
  spanId: string;
  eventName: string;
  resource: Record<string, unknown>;
  scope: string;
}

type RecordFields = Omit<ReceivedLogRecord, 'resource' | 'scope'>;
interface ScopeGroup {
  scope: string;
  records: RecordFields[];
}
interface ResourceGroup {
  resource: Record<string, unknown>;
  scopes: ScopeGroup[];
}

function emptyRecord(): RecordFields {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: {},
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
}

/** opentelemetry/proto/logs/v1/logs.proto, LogRecord. */
function decodeProtoLogRecord(buf: Buffer): RecordFields {
  const record = emptyRecord();
  const attributes: [string, unknown][] = [];
  for (const f of wireFields(buf)) {
    switch (f.field) {
      case 1:
        record.timeUnixNano = bytesOf(f, I64).readBigUInt64LE(0);
        break;
      case 2:
        record.severityNumber = Number(BigInt.asIntN(32, varintOf(f)));
        break;
      case 3:
        record.severityText = stringOf(f);
        break;
      case 5:
        record.body = decodeProtoAnyValue(bytesOf(f));
        break;
      case 6:
        attributes.push(decodeProtoKeyValue(bytesOf(f)));
        break;
      case 8:
        record.flags = bytesOf(f, I32).readUInt32LE(0);
        break;
      case 9:
        record.traceId = bytesOf(f).toString('hex');
        break;
      case 10:
        record.spanId = bytesOf(f).toString('hex');
        break;
      case 11:
        record.observedTimeUnixNano = bytesOf(f, I64).readBigUInt64LE(0);
        break;
      case 12:
        record.eventName = stringOf(f);
        break;
    }
  }
  record.attributes = Object.fromEntries(attributes);
  return record;
}

function decodeProtoScopeLogs(buf: Buffer): ScopeGroup {
  const group: ScopeGroup = { scope: '', records: [] };
  for (const f of wireFields(buf)) {
    if (f.field === 1) group.scope = decodeProtoScopeName(bytesOf(f));
    else if (f.field === 2) group.records.push(decodeProtoLogRecord(bytesOf(f)));
  }
  return group;
}

function decodeProtoResourceLogs(buf: Buffer): ResourceGroup {
  const group: ResourceGroup = { resource: {}, scopes: [] };
  for (const f of wireFields(buf)) {
    if (f.field === 1) group.resource = decodeProtoKeyValues(bytesOf(f), 1);
    else if (f.field === 2) group.scopes.push(decodeProtoScopeLogs(bytesOf(f)));
  }
  return group;
}

/** ExportLogsServiceRequest in protobuf, records with their resource and scope. */
export function decodeProtobufLogs(body: Buffer): ReceivedLogRecord[] {
  const groups: ResourceGroup[] = [];
  for (const f of wireFields(body)) {
    if (f.field === 1) groups.push(decodeProtoResourceLogs(bytesOf(f)));
  }
  return flatten(groups);
}

function decodeJsonLogRecord(record: JsonObject): RecordFields {
  return {
    timeUnixNano: integerAt(record, 'timeUnixNano'),
    observedTimeUnixNano: integerAt(record, 'observedTimeUnixNano'),
    severityNumber: Number(integerAt(record, 'severityNumber')),
    severityText: stringAt(record, 'severityText'),
    body: record.body == null ? undefined : decodeJsonAnyValue(objectAt(record, 'body')),
    attributes: decodeJsonKeyValues(objectsAt(record, 'attributes')),
    flags: Number(integerAt(record, 'flags')),
    traceId: stringAt(record, 'traceId').toLowerCase(),
    spanId: stringAt(record, 'spanId').toLowerCase(),
    eventName: stringAt(record, 'eventName'),
  };
}

function decodeJsonScopeLogs(scopeLogs: JsonObject): ScopeGroup {
  return {
    scope: stringAt(objectAt(scopeLogs, 'scope'), 'name'),
    records: objectsAt(scopeLogs, 'logRecords').map(decodeJsonLogRecord),
  };
}

function decodeJsonResourceLogs(resourceLogs: JsonObject): ResourceGroup {
  return {
    resource: decodeJsonKeyValues(objectsAt(objectAt(resourceLogs, 'resource'), 'attributes')),
    scopes: objectsAt(resourceLogs, 'scopeLogs').map(decodeJsonScopeLogs),
  };
}

/** ExportLogsServiceRequest in OTLP/JSON, records with their resource and scope. */
export function decodeJsonLogs(body: Buffer): ReceivedLogRecord[] {
  return flatten(objectsAt(parseJsonRequest(body), 'resourceLogs').map(decodeJsonResourceLogs));
}

function flatten(groups: ResourceGroup[]): ReceivedLogRecord[] {
  return groups.flatMap(({ resource, scopes }) =>
    scopes.flatMap(({ scope, records }) => records.map((record) => ({ ...record, resource, scope }))),
  );
}
