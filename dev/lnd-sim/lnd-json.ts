/**
 * LND REST (grpc-gateway) conventions: int64 as strings, bytes as standard
 * base64, enums by name, errors as `{code, message, details}` with the HTTP status
 * grpc-gateway derives from the gRPC code.
 */
import { base64 } from "@scure/base";

export const GRPC = { unknown: 2, invalidArgument: 3, deadlineExceeded: 4, notFound: 5, alreadyExists: 6, unavailable: 14 } as const;

const HTTP_STATUS: Record<number, number> = { 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 14: 503 };

export class LndError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }
  toJSON() {
    return { code: this.code, message: this.message, details: [] };
  }
}

export const b64 = (bytes: Uint8Array): string => base64.encode(bytes);
export const int64 = (value: number | bigint): string => String(value);

/** int64 fields arrive as JSON numbers or strings; anything else is an error, as in grpc-gateway. */
export function readInt64(body: Record<string, unknown>, name: string): bigint {
  const value = body[name];
  if (value === undefined || value === null || value === "") return 0n;
  if ((typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value))) {
    return BigInt(value);
  }
  throw new LndError(GRPC.invalidArgument, `proto: (line 1:1): invalid value for int64 field ${name}: ${JSON.stringify(value)}`);
}

/** bytes fields: standard base64 (grpc-gateway also takes URL-safe). */
export function readBytes(body: Record<string, unknown>, name: string): Uint8Array | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new LndError(GRPC.invalidArgument, `proto: invalid value for bytes field ${name}`);
  try {
    return base64.decode(value.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new LndError(GRPC.invalidArgument, `proto: (line 1:1): invalid value for bytes field ${name}: illegal base64 data`);
  }
}
